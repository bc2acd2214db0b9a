//! TLS between nodes: certificate pinning by SHA-256 fingerprint, self-signed server certificates.
//!
//! Trust between nodes does not come from web PKI. The signed network directory lists, for every
//! node, the SHA-256 fingerprint of the DER encoding of its TLS certificate ([`TlsPin`]); the
//! client accepts exactly that leaf certificate and nothing else ([`PinnedVerifier`]). The
//! handshake signature is still checked against the pinned certificate's key, so a party that
//! merely copied the certificate cannot complete a handshake. Self-signed certificates are the
//! norm; [`TlsIdentity::generate`] makes one with `rcgen`.
//!
//! Whatever the transport says, the peer is who the verified OpenPGP signature says it is: TLS
//! only protects the wire and the receipt exchange.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The largest PEM file (certificate or key) read from the node directory.
const MAX_PEM_BYTES: u64 = 64 * 1024;

/// Why a TLS setting or file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A pin is not 64 hexadecimal digits.
    #[error(
        "'{0}' is not a TLS certificate fingerprint: expected the SHA-256 of the certificate as 64 hexadecimal digits"
    )]
    BadPin(String),
    /// A certificate or key file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A certificate or key file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is larger than a certificate or key can be.
    #[error("{path} is larger than {MAX_PEM_BYTES} bytes: it is not a PEM certificate or key")]
    TooLarge {
        /// The file.
        path: String,
    },
    /// A PEM file holds no certificate, or something else.
    #[error("{path} does not contain a PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate {
        /// The file.
        path: String,
    },
    /// A PEM file holds no private key.
    #[error("{path} does not contain a PEM private key (-----BEGIN PRIVATE KEY-----)")]
    NoKey {
        /// The file.
        path: String,
    },
    /// The secret key file can be read by other users.
    #[error(
        "{path} is readable by other users (mode {mode:o}): the TLS private key must be private to the node's account (chmod 600)"
    )]
    KeyReadableByOthers {
        /// The file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// Generating a certificate failed.
    #[error("cannot generate the node's TLS certificate: {0}")]
    Generate(String),
    /// rustls refused the configuration (e.g. the key does not match the certificate).
    #[error("the TLS certificate and key cannot be used together: {0}")]
    Config(String),
}

/// The SHA-256 fingerprint of a node's TLS certificate (of its DER encoding), as published in the
/// signed directory. Written as 64 lower-case hexadecimal digits; parsing also accepts upper case
/// and the colon-separated form that `openssl x509 -fingerprint -sha256` prints.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlsPin([u8; 32]);

impl TlsPin {
    /// The pin of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }

    /// A pin from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses 64 hexadecimal digits, optionally separated by colons.
    pub fn parse(text: &str) -> Result<Self, TlsError> {
        let bad = || TlsError::BadPin(text.chars().take(120).collect());
        if text.len() > 95 {
            return Err(bad());
        }
        let digits: String = if text.contains(':') {
            let parts: Vec<&str> = text.split(':').collect();
            if parts.len() != 32 || parts.iter().any(|p| p.len() != 2) {
                return Err(bad());
            }
            parts.concat()
        } else {
            text.to_owned()
        };
        let mut out = [0u8; 32];
        hex::decode_to_slice(&digits, &mut out).map_err(|_| bad())?;
        Ok(Self(out))
    }
}

impl fmt::Display for TlsPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for TlsPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TlsPin({self})")
    }
}

impl FromStr for TlsPin {
    type Err = TlsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for TlsPin {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for TlsPin {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The peer presented a certificate other than the pinned one. Carried inside rustls's error so
/// that the transport can tell the operator exactly what happened.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "the peer's TLS certificate has SHA-256 {presented}, but the directory pins {pinned}: refusing to talk to it"
)]
pub struct PinMismatch {
    /// The pin from the directory.
    pub pinned: TlsPin,
    /// The fingerprint of what the peer presented.
    pub presented: TlsPin,
}

/// The one crypto provider cp247 uses everywhere (ring), shared.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// Installs ring as the process-wide rustls provider. Call once at start, before any TLS client
/// (including the database driver's) is built; calling it again is harmless.
pub fn install_crypto_provider() {
    // An Err means a provider is already installed, which is what we want.
    let _already = rustls::crypto::ring::default_provider().install_default();
}

/// A server-certificate verifier that accepts exactly one leaf certificate, identified by its
/// SHA-256 pin. Intermediates, names and validity dates are ignored: the signed directory is the
/// trust anchor. The handshake signature is verified against the pinned certificate's key.
#[derive(Debug)]
pub struct PinnedVerifier {
    pin: TlsPin,
    provider: Arc<CryptoProvider>,
}

impl PinnedVerifier {
    /// A verifier for `pin`.
    pub fn new(pin: TlsPin) -> Self {
        Self {
            pin,
            provider: crypto_provider(),
        }
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = TlsPin::of_der(end_entity.as_ref());
        if presented == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::Other(rustls::OtherError(Arc::new(PinMismatch {
                    pinned: self.pin,
                    presented,
                }))),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls client configuration that trusts only the certificate pinned by `pin`.
pub fn pinned_client_config(pin: TlsPin) -> Result<rustls::ClientConfig, TlsError> {
    let mut config = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedVerifier::new(pin)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// A node's TLS certificate and private key. `Debug` never shows the key.
#[derive(Clone)]
pub struct TlsIdentity {
    cert_der: CertificateDer<'static>,
    cert_pem: String,
    key_pem: Zeroizing<String>,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("pin", &self.pin())
            .field("key", &"***")
            .finish()
    }
}

impl TlsIdentity {
    /// A fresh self-signed certificate (ECDSA P-256) for `names` (host names and IP addresses
    /// the node is reached at), valid from the day of `now` for `valid_years` years.
    pub fn generate(
        names: &[String],
        now: jiff::Timestamp,
        valid_years: i16,
    ) -> Result<Self, TlsError> {
        let mut params = rcgen::CertificateParams::new(names.to_vec())
            .map_err(|e| TlsError::Generate(e.to_string()))?;
        let start = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let end = start
            .checked_add(jiff::Span::new().years(valid_years))
            .map_err(|e| TlsError::Generate(e.to_string()))?;
        let (y, m, d) = ymd(start)?;
        params.not_before = rcgen::date_time_ymd(y, m, d);
        let (y, m, d) = ymd(end)?;
        params.not_after = rcgen::date_time_ymd(y, m, d);
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "cp247 node");
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let key = rcgen::KeyPair::generate().map_err(|e| TlsError::Generate(e.to_string()))?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| TlsError::Generate(e.to_string()))?;
        Ok(Self {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            key_pem: Zeroizing::new(key.serialize_pem()),
        })
    }

    /// Reads a certificate and its key from PEM files. The key file must not be readable by
    /// other users.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let cert_pem = read_bounded(cert_path)?;
        let key_pem = Zeroizing::new(read_bounded(key_path)?);
        check_private(key_path)?;
        let cert_der = CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(|_| {
            TlsError::NoCertificate {
                path: cert_path.display().to_string(),
            }
        })?;
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|_| TlsError::NoKey {
            path: key_path.display().to_string(),
        })?;
        let identity = Self {
            cert_der,
            cert_pem,
            key_pem,
        };
        // Proves that the key belongs to the certificate before the node announces readiness.
        identity.server_config()?;
        Ok(identity)
    }

    /// Writes the certificate (mode 0644) and the key (mode 0600). Refuses to overwrite.
    pub fn save(&self, cert_path: &Path, key_path: &Path) -> Result<(), TlsError> {
        write_new(cert_path, self.cert_pem.as_bytes(), 0o644)?;
        write_new(key_path, self.key_pem.as_bytes(), 0o600)
    }

    /// Loads the identity from the two files, or generates and saves one if neither exists.
    /// Returns the identity and whether it was just created.
    pub fn load_or_generate(
        cert_path: &Path,
        key_path: &Path,
        names: &[String],
        now: jiff::Timestamp,
    ) -> Result<(Self, bool), TlsError> {
        if !cert_path.exists() && !key_path.exists() {
            let identity = Self::generate(names, now, 5)?;
            identity.save(cert_path, key_path)?;
            return Ok((identity, true));
        }
        Ok((Self::load(cert_path, key_path)?, false))
    }

    /// The pin to publish in the directory.
    pub fn pin(&self) -> TlsPin {
        TlsPin::of_der(self.cert_der.as_ref())
    }

    /// The certificate as PEM text.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A rustls server configuration serving this certificate (TLS 1.3 and 1.2, ALPN h2 and
    /// http/1.1, no client authentication: the sender is authenticated by its OpenPGP
    /// signature).
    pub fn server_config(&self) -> Result<rustls::ServerConfig, TlsError> {
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| TlsError::Config(e.to_string()))?;
        let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![self.cert_der.clone()], key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    }
}

/// A valid calendar date as the numbers rcgen takes (jiff guarantees the ranges).
fn ymd(date: jiff::civil::Date) -> Result<(i32, u8, u8), TlsError> {
    let month = u8::try_from(date.month()).map_err(|e| TlsError::Generate(e.to_string()))?;
    let day = u8::try_from(date.day()).map_err(|e| TlsError::Generate(e.to_string()))?;
    Ok((i32::from(date.year()), month, day))
}

fn read_bounded(path: &Path) -> Result<String, TlsError> {
    use std::io::Read;
    let shown = || path.display().to_string();
    let file = fs::File::open(path).map_err(|source| TlsError::Read {
        path: shown(),
        source,
    })?;
    let mut text = String::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|source| TlsError::Read {
            path: shown(),
            source,
        })?;
    if text.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::TooLarge { path: shown() });
    }
    Ok(text)
}

/// Refuses a secret file that group or others may read.
pub fn check_private(path: &Path) -> Result<(), TlsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(path).map_err(|source| TlsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(TlsError::KeyReadableByOthers {
                path: path.display().to_string(),
                mode,
            });
        }
    }
    Ok(())
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    let shown = || path.display().to_string();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|source| TlsError::Write {
        path: shown(),
        source,
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|source| TlsError::Write {
            path: shown(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2026-02-28T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn pins_parse_in_every_written_form() {
        let pin = TlsPin::of_der(b"certificate");
        let text = pin.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(TlsPin::parse(&text).unwrap(), pin);
        assert_eq!(TlsPin::parse(&text.to_uppercase()).unwrap(), pin);
        let colons: Vec<String> = pin.as_bytes().iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(TlsPin::parse(&colons.join(":")).unwrap(), pin);
        for bad in [
            "",
            "abc",
            &text[..62],
            &format!("{text}00"),
            &text.replace('a', "g"),
        ] {
            let err = TlsPin::parse(bad).unwrap_err().to_string();
            assert!(err.contains("64 hexadecimal digits"), "{bad}: {err}");
        }
        let json = serde_json::to_string(&pin).unwrap();
        assert_eq!(serde_json::from_str::<TlsPin>(&json).unwrap(), pin);
    }

    #[test]
    fn generated_identity_round_trips_through_files_and_keeps_the_key_private() {
        let dir = tempfile::tempdir().unwrap();
        let id =
            TlsIdentity::generate(&["127.0.0.1".into(), "node.example".into()], now(), 5).unwrap();
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        id.save(&cert, &key).unwrap();
        let back = TlsIdentity::load(&cert, &key).unwrap();
        assert_eq!(back.pin(), id.pin());
        assert!(!format!("{back:?}").contains("PRIVATE"));
        // Never overwritten.
        assert!(matches!(id.save(&cert, &key), Err(TlsError::Write { .. })));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
            let err = TlsIdentity::load(&cert, &key).unwrap_err();
            assert!(
                matches!(err, TlsError::KeyReadableByOthers { mode: 0o644, .. }),
                "{err}"
            );
        }
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = TlsIdentity::generate(&["127.0.0.1".into()], now(), 1).unwrap();
        let b = TlsIdentity::generate(&["127.0.0.1".into()], now(), 1).unwrap();
        let (cert, key) = (dir.path().join("a.crt"), dir.path().join("b.key"));
        write_new(&cert, a.cert_pem().as_bytes(), 0o644).unwrap();
        write_new(&key, b.key_pem.as_bytes(), 0o600).unwrap();
        assert!(matches!(
            TlsIdentity::load(&cert, &key),
            Err(TlsError::Config(_))
        ));
        let junk = dir.path().join("junk.crt");
        write_new(&junk, b"hello", 0o644).unwrap();
        assert!(matches!(
            TlsIdentity::load(&junk, &key),
            Err(TlsError::NoCertificate { .. })
        ));
    }
}
