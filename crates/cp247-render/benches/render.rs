//! How long rendering one document takes: mapping to the view, the text and HTML layouts, and the
//! PDF (typst compile + PDF/A export), for each kind, in French (the longer texts).
//! `cargo bench -p cp247-render`.

use cp247_forms::{Kind, examples};
use cp247_i18n::Lang;
use cp247_render::pdf::PdfEngine;
use criterion::{Criterion, criterion_group, criterion_main};

fn render(c: &mut Criterion) {
    let engine = PdfEngine::shared();
    c.bench_function("engine/new", |b| b.iter(PdfEngine::new));
    for kind in [Kind::Art29, Kind::Art30, Kind::Art31, Kind::Art35] {
        let Ok(doc) = examples::example(kind) else {
            continue;
        };
        let lang = Lang::Fr;
        c.bench_function(&format!("{kind}/view"), |b| {
            b.iter(|| cp247_render::view(&doc, lang))
        });
        c.bench_function(&format!("{kind}/text"), |b| {
            b.iter(|| cp247_render::render_text(&doc, lang))
        });
        c.bench_function(&format!("{kind}/html"), |b| {
            b.iter(|| cp247_render::render_html(&doc, lang))
        });
        let view = cp247_render::view(&doc, lang);
        let date = cp247_render::map::document_date(&doc);
        let mut group = c.benchmark_group(format!("{kind}/pdf"));
        group.sample_size(10);
        group.bench_function("render", |b| b.iter(|| engine.render(&view, date)));
        group.finish();
    }
}

criterion_group!(benches, render);
criterion_main!(benches);
