//! Speed of reading and writing documents: `cargo bench -p cp247-forms --bench decode`.

use std::hint::black_box;

use cp247_forms::shared::Choice;
use cp247_forms::{Kind, examples, parse_json, to_json_string};
use criterion::{Criterion, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    for kind in Kind::ALL {
        let json = examples::json(*kind);
        c.bench_function(&format!("parse_json {kind} ({} bytes)", json.len()), |b| {
            b.iter(|| parse_json(black_box(json.as_bytes())))
        });
        if let Ok(doc) = examples::example(*kind) {
            c.bench_function(&format!("to_json_string {kind}"), |b| {
                b.iter(|| to_json_string(black_box(&doc)))
            });
        }
    }
    let faulty = include_str!("../tests/corpus/invalid/071-several-problems.json");
    c.bench_function("parse_json with 5 problems", |b| {
        b.iter(|| parse_json(black_box(faulty.as_bytes())))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
