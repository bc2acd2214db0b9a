//! Shared test support: a fake directory, sample payloads, and a toolkit that builds hostile
//! OpenPGP messages with rPGP's lower-level API (what an attacker could send).
#![allow(dead_code)] // each test binary uses a different part of the toolkit

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::{Mutex, OnceLock};

use cp247_domain::{Address, ContactPointRole, Instant, MessageId, PartyCode, TicketId, Urgency};
use cp247_seal::{
    Cert, DirectoryKey, Fingerprint, Handling, Header, KeyDirectory, KeyStatus, MessageType,
    NodeKey, Passphrase, Payload, TlpMarking,
};
use jiff::Timestamp;
use pgp::composed::{
    ArmorOptions, Deserializable, MessageBuilder, SignedPublicKey, SignedSecretKey, SubpacketConfig,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{
    Packet, PacketParser, PacketTrait, PublicKeyEncryptedSessionKey, PublicSubkey, SecretSubkey,
    SignatureConfig, SignatureType, Subpacket, SubpacketData,
};
use pgp::types::{CompressionAlgorithm, KeyDetails as _, Password};

pub fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn party(code: &str) -> PartyCode {
    PartyCode::parse(code).unwrap()
}

pub fn fr() -> Address {
    Address::primary(party("FR"))
}

pub fn md() -> Address {
    Address::primary(party("MD"))
}

pub fn de() -> Address {
    Address::primary(party("DE"))
}

/// Keys are made at this instant; messages are sealed a few days later.
pub const KEY_TIME: &str = "2026-01-01T00:00:00Z";
pub const NOW: &str = "2026-03-01T12:00:00Z";

pub fn node(name: &str) -> NodeKey {
    NodeKey::generate(
        &format!("cp247 node {name} <{name}@cp247.invalid>"),
        t(KEY_TIME),
        None,
    )
    .unwrap()
}

/// A node key shared by all tests of one binary (keys are immutable; sharing saves the
/// expensive locked exports that the hostile toolkit needs).
pub fn shared_node(name: &str) -> NodeKey {
    static NODES: OnceLock<Mutex<HashMap<String, NodeKey>>> = OnceLock::new();
    NODES
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(name.to_owned())
        .or_insert_with(|| node(name))
        .clone()
}

/// An in-memory directory.
#[derive(Default)]
pub struct FakeDir {
    entries: Mutex<Vec<DirectoryKey>>,
}

impl FakeDir {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(self, cert: Cert, owner: Address, status: KeyStatus) -> Self {
        self.entries.lock().unwrap().push(DirectoryKey {
            cert,
            owner,
            status,
        });
        self
    }

    pub fn active(self, key: &NodeKey, owner: Address) -> Self {
        self.with(key.cert(), owner, KeyStatus::Active)
    }
}

impl KeyDirectory for FakeDir {
    fn key_by_fingerprint(&self, fp: &Fingerprint) -> Option<DirectoryKey> {
        self.entries
            .lock()
            .unwrap()
            .iter()
            .find(|e| e.cert.has_key(fp))
            .cloned()
    }

    fn lists_key_id(&self, id: &cp247_seal::KeyId) -> bool {
        self.entries
            .lock()
            .unwrap()
            .iter()
            .any(|e| e.cert.has_key_id(id))
    }
}

pub fn header(sender: Address, recipient: Address, at: Timestamp) -> Header {
    let mut rng = rand::rng();
    Header {
        message_id: MessageId::generate(at, &mut rng),
        ticket: TicketId::generate(sender.party, at, &mut rng),
        message_type: MessageType::parse("preservation_request").unwrap(),
        sender,
        recipient,
        created_at: Instant::utc(at),
        urgency: Urgency::Urgent,
        handling: Handling {
            confidential: true,
            marking: Some(TlpMarking::Amber),
        },
    }
}

/// A payload whose body is about `size` bytes of JSON.
pub fn payload(sender: Address, recipient: Address, at: Timestamp, size: usize) -> Payload {
    let text: String = "Préservation des données — "
        .chars()
        .cycle()
        .take(size)
        .collect();
    Payload {
        header: header(sender, recipient, at),
        body: serde_json::json!({"summary_of_facts": text, "offences": ["art. 2", "art. 4"], "alternate": {"point": ContactPointRole::Alternate}}),
        attachments: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// Hostile-message toolkit.

pub const PASS: &str = "correct horse battery staple";

/// The rPGP secret key behind a NodeKey (through its locked export, as an attacker who stole
/// the key file and passphrase would have it).
pub fn secret_of(key: &NodeKey) -> SignedSecretKey {
    static CACHE: OnceLock<Mutex<HashMap<String, SignedSecretKey>>> = OnceLock::new();
    let fp = key.fingerprint().to_string();
    if let Some(sk) = CACHE.get_or_init(Default::default).lock().unwrap().get(&fp) {
        return sk.clone();
    }
    let sk = export_secret(key);
    CACHE.get().unwrap().lock().unwrap().insert(fp, sk.clone());
    sk
}

fn export_secret(key: &NodeKey) -> SignedSecretKey {
    let pass = Passphrase::new(PASS.into());
    let text = key.to_locked_armored(&pass).unwrap();
    let (mut sk, _) = SignedSecretKey::from_string(&text).unwrap();
    let pw = Password::from(PASS);
    sk.primary_key.remove_password(&pw).unwrap();
    for s in &mut sk.secret_subkeys {
        s.key.remove_password(&pw).unwrap();
    }
    sk
}

pub fn public_of(cert: &Cert) -> SignedPublicKey {
    SignedPublicKey::from_string(&cert.armored()).unwrap().0
}

pub fn signing_subkey(sk: &SignedSecretKey) -> &SecretSubkey {
    sk.secret_subkeys
        .iter()
        .map(|s| &s.key)
        .find(|k| k.algorithm().can_sign())
        .unwrap()
}

pub fn encryption_subkey(pk: &SignedPublicKey) -> &PublicSubkey {
    pk.public_subkeys
        .iter()
        .map(|s| &s.key)
        .find(|k| k.algorithm().can_encrypt())
        .unwrap()
}

pub struct Craft<'a> {
    pub signer: Option<&'a SecretSubkey>,
    pub hash: HashAlgorithm,
    pub signed_at: Timestamp,
    pub recipients: Vec<&'a PublicSubkey>,
    pub compression: Option<CompressionAlgorithm>,
    pub sym: SymmetricKeyAlgorithm,
}

impl<'a> Craft<'a> {
    pub fn new(signer: &'a SecretSubkey, recipient: &'a PublicSubkey, at: Timestamp) -> Self {
        Self {
            signer: Some(signer),
            hash: HashAlgorithm::Sha512,
            signed_at: at,
            recipients: vec![recipient],
            compression: None,
            sym: SymmetricKeyAlgorithm::AES256,
        }
    }

    /// Signs (if a signer is set) and encrypts `data` with rPGP's message builder, bypassing
    /// every check cp247's `seal` makes.
    pub fn build(&self, data: Vec<u8>) -> Vec<u8> {
        let mut rng = rand08::thread_rng();
        let mut b = MessageBuilder::from_bytes("", data).seipd_v1(&mut rng, self.sym);
        for r in &self.recipients {
            b.encrypt_to_key(&mut rng, *r).unwrap();
        }
        if let Some(c) = self.compression {
            b.compression(c);
        }
        if let Some(s) = self.signer {
            b.sign_with_subpackets(
                s,
                Password::empty(),
                self.hash,
                SubpacketConfig::UserDefined {
                    hashed: vec![
                        Subpacket::regular(SubpacketData::SignatureCreationTime(pgp_time(
                            self.signed_at,
                        )))
                        .unwrap(),
                        Subpacket::regular(SubpacketData::IssuerFingerprint(s.fingerprint()))
                            .unwrap(),
                    ],
                    unhashed: vec![],
                },
            );
        }
        b.to_armored_string(&mut rng, ArmorOptions::default())
            .unwrap()
            .into_bytes()
    }

    /// Only the signed (not encrypted) inner message, binary.
    pub fn signed_only(&self, data: Vec<u8>) -> Vec<u8> {
        let mut rng = rand08::thread_rng();
        let mut b = MessageBuilder::from_bytes("", data);
        let s = self.signer.unwrap();
        b.sign_with_subpackets(
            s,
            Password::empty(),
            self.hash,
            SubpacketConfig::UserDefined {
                hashed: vec![
                    Subpacket::regular(SubpacketData::SignatureCreationTime(pgp_time(
                        self.signed_at,
                    )))
                    .unwrap(),
                    Subpacket::regular(SubpacketData::IssuerFingerprint(s.fingerprint())).unwrap(),
                ],
                unhashed: vec![],
            },
        );
        b.to_vec(&mut rng).unwrap()
    }
}

pub fn pgp_time(at: Timestamp) -> pgp::types::Timestamp {
    pgp::types::Timestamp::from_secs(u32::try_from(at.as_second()).unwrap())
}

/// All packets of binary OpenPGP data.
pub fn parse_packets(bytes: &[u8]) -> Vec<Packet> {
    PacketParser::new(Cursor::new(bytes))
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// A parsed packet serialised again, header included.
pub fn packet_bytes(p: &Packet) -> Vec<u8> {
    let mut out = Vec::new();
    pgp::ser::Serialize::to_writer(p, &mut out).unwrap();
    out
}

/// A binary literal data packet holding `data` (no file name, date 0), with its header.
pub fn literal_bytes(data: &[u8]) -> Vec<u8> {
    let mut body = vec![b'b', 0, 0, 0, 0, 0];
    body.extend_from_slice(data);
    raw_packet(11, &body)
}

/// Packets with their headers, literal data packets replaced by `replacement` (raw bytes).
pub fn replace_literal(packets: &[Packet], replacement: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packets {
        match p {
            Packet::LiteralData(_) => out.extend_from_slice(replacement),
            other => out.extend_from_slice(&packet_bytes(other)),
        }
    }
    out
}

/// A new-format packet with a five-octet length.
pub fn raw_packet(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xC0 | tag, 0xFF];
    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// How to wrap a plaintext OpenPGP message in encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    /// SEIPDv1 with a correct MDC.
    Seipd,
    /// A legacy Symmetrically Encrypted Data packet (tag 9): no integrity protection at all.
    Sed,
    /// SEIPDv1 whose plaintext lacks the MDC packet.
    SeipdWithoutMdc,
    /// SEIPDv1 whose MDC packet holds a wrong hash.
    SeipdWrongMdc,
}

/// Encrypts a hand-assembled inner message (binary packets) to `recipient`, armored.
pub fn encrypt_raw(inner: &[u8], recipient: &PublicSubkey, wrap: Wrap) -> Vec<u8> {
    let mut rng = rand08::thread_rng();
    let alg = SymmetricKeyAlgorithm::AES256;
    let session_key = alg.new_session_key(&mut rng);
    let pkesk =
        PublicKeyEncryptedSessionKey::from_session_key_v3(&mut rng, &session_key, alg, recipient)
            .unwrap();
    let mut out = Vec::new();
    pkesk.to_writer_with_header(&mut out).unwrap();
    let key: &[u8] = session_key.as_ref();
    let bs = alg.block_size();
    let mut prefix = vec![0u8; bs + 2];
    rand08::RngCore::fill_bytes(&mut rng, &mut prefix[..bs]);
    prefix[bs] = prefix[bs - 2];
    prefix[bs + 1] = prefix[bs - 1];
    match wrap {
        Wrap::Seipd => {
            let ct = alg.encrypt_protected(&mut rng, key, inner).unwrap();
            let mut body = vec![1u8];
            body.extend_from_slice(&ct);
            out.extend_from_slice(&raw_packet(18, &body));
        }
        Wrap::Sed => {
            let ct = alg.encrypt(&mut rng, key, inner).unwrap();
            out.extend_from_slice(&raw_packet(9, &ct));
        }
        Wrap::SeipdWithoutMdc | Wrap::SeipdWrongMdc => {
            let mut buf = prefix.clone();
            buf.extend_from_slice(inner);
            if wrap == Wrap::SeipdWrongMdc {
                buf.extend_from_slice(&[0xD3, 0x14]);
                buf.extend_from_slice(&[0u8; 20]);
            }
            alg.encrypt_with_iv(key, &vec![0u8; bs], &mut buf).unwrap();
            let mut body = vec![1u8];
            body.extend_from_slice(&buf);
            out.extend_from_slice(&raw_packet(18, &body));
        }
    }
    armor(&out)
}

/// ASCII armor around binary message bytes.
pub fn armor(binary: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(binary);
    let mut out = String::from("-----BEGIN PGP MESSAGE-----\n\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str("-----END PGP MESSAGE-----\n");
    out.into_bytes()
}

/// Removes the armor of a message (base64 between the blank line and the END line).
pub fn dearmor(armored: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let text = std::str::from_utf8(armored).unwrap();
    let body: String = text
        .split("\n\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| !l.starts_with("-----END") && !l.starts_with('='))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// The certificate of `key` with a key revocation signature added (made by its primary key).
pub fn revoke(key: &NodeKey, at: Timestamp) -> cp247_seal::Cert {
    let sk = secret_of(key);
    let mut config = SignatureConfig::v4(
        SignatureType::KeyRevocation,
        sk.primary_key.algorithm(),
        HashAlgorithm::Sha512,
    );
    config.hashed_subpackets = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(pgp_time(at))).unwrap(),
        Subpacket::regular(SubpacketData::IssuerFingerprint(
            sk.primary_key.fingerprint(),
        ))
        .unwrap(),
    ];
    let sig = config
        .sign_key(
            &sk.primary_key,
            &Password::empty(),
            sk.primary_key.public_key(),
        )
        .unwrap();
    let mut pk = sk.to_public_key();
    pk.details.revocation_signatures.push(sig);
    let text = pk
        .to_armored_string(pgp::composed::ArmorOptions::default())
        .unwrap();
    cp247_seal::Cert::from_armored(&text).unwrap()
}

/// The certificate of `key` whose signing subkey is re-bound by the primary key with `flags`
/// and, if `backsig`, the subkey's original back-signature. Returns the cert and the secret key.
pub fn rebind_signing_subkey(
    key: &NodeKey,
    sign_flag: bool,
    backsig: bool,
    at: Timestamp,
) -> (Cert, SignedSecretKey) {
    let sk = secret_of(key);
    let mut pk = sk.to_public_key();
    let idx = pk
        .public_subkeys
        .iter()
        .position(|s| s.key.algorithm().can_sign())
        .unwrap();
    let old = pk.public_subkeys[idx].signatures[0].clone();
    let mut flags = pgp::packet::KeyFlags::default();
    if sign_flag {
        flags.set_sign(true);
    } else {
        flags.set_authentication(true);
    }
    let mut config = SignatureConfig::v4(
        SignatureType::SubkeyBinding,
        sk.primary_key.algorithm(),
        HashAlgorithm::Sha512,
    );
    config.hashed_subpackets = vec![
        Subpacket::regular(SubpacketData::SignatureCreationTime(pgp_time(at))).unwrap(),
        Subpacket::regular(SubpacketData::IssuerFingerprint(
            sk.primary_key.fingerprint(),
        ))
        .unwrap(),
        Subpacket::regular(SubpacketData::KeyFlags(flags)).unwrap(),
    ];
    if backsig {
        let embedded = old.embedded_signature().unwrap().clone();
        config.hashed_subpackets.push(
            Subpacket::regular(SubpacketData::EmbeddedSignature(Box::new(embedded))).unwrap(),
        );
    }
    let sig = config
        .sign_subkey_binding(
            &sk.primary_key,
            sk.primary_key.public_key(),
            &Password::empty(),
            &pk.public_subkeys[idx].key,
        )
        .unwrap();
    pk.public_subkeys[idx].signatures = vec![sig];
    let text = pk
        .to_armored_string(pgp::composed::ArmorOptions::default())
        .unwrap();
    (Cert::from_armored(&text).unwrap(), sk)
}
