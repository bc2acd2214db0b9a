//! Cost of sealing and of opening + verifying a message with a 4 KiB payload.
//! Run: `cargo bench -p cp247-seal`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // benchmark set-up fails loudly

use std::hint::black_box;

use cp247_domain::{Address, Instant, MessageId, PartyCode, TicketId, Urgency};
use cp247_seal::{
    DirectoryKey, Fingerprint, Handling, Header, KeyDirectory, KeyStatus, Limits, MessageType,
    NodeKey, OpenPolicy, Payload, open, seal,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;

struct Dir(Vec<DirectoryKey>);

impl KeyDirectory for Dir {
    fn key_by_fingerprint(&self, fp: &Fingerprint) -> Option<DirectoryKey> {
        self.0.iter().find(|e| e.cert.has_key(fp)).cloned()
    }
}

fn bench(c: &mut Criterion) {
    let created: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let now: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let fr = Address::primary(PartyCode::parse("FR").unwrap());
    let md = Address::primary(PartyCode::parse("MD").unwrap());
    let fr_key = NodeKey::generate("fr <fr@cp247.invalid>", created, None).unwrap();
    let md_key = NodeKey::generate("md <md@cp247.invalid>", created, None).unwrap();
    let dir = Dir(vec![
        DirectoryKey {
            cert: fr_key.cert(),
            owner: fr,
            status: KeyStatus::Active,
        },
        DirectoryKey {
            cert: md_key.cert(),
            owner: md,
            status: KeyStatus::Active,
        },
    ]);
    let mut rng = rand::rng();
    let header = Header {
        message_id: MessageId::generate(now, &mut rng),
        ticket: TicketId::generate(fr.party, now, &mut rng),
        message_type: MessageType::parse("preservation_request").unwrap(),
        sender: fr,
        recipient: md,
        created_at: Instant::utc(now),
        urgency: Urgency::Urgent,
        handling: Handling {
            confidential: true,
            marking: None,
        },
    };
    let base = Payload {
        header,
        body: serde_json::json!({ "text": "" }),
        attachments: Vec::new(),
    };
    let overhead = base.canonical_json().len();
    let payload = Payload {
        body: serde_json::json!({ "text": "x".repeat(4096 - overhead) }),
        attachments: Vec::new(),
        ..base
    };
    assert_eq!(payload.canonical_json().len(), 4096);
    let md_cert = md_key.cert();
    let sealed = seal(&payload, &fr_key, &md_cert, now).unwrap();

    let mut g = c.benchmark_group("envelope_4KiB");
    g.throughput(Throughput::Elements(1));
    g.bench_function("seal", |b| {
        b.iter(|| seal(black_box(&payload), &fr_key, &md_cert, now).unwrap())
    });
    g.bench_function("open_verify", |b| {
        b.iter(|| {
            open(black_box(sealed.as_bytes()), &md_key, &Limits::default())
                .unwrap()
                .verify(&dir, &md, now, &OpenPolicy::default())
                .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
