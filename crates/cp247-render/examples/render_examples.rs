//! Renders the built-in example of each kind, in each language, as text, HTML and PDF, into the
//! directory given as the first argument (default `target/cp247-render-examples`), so a person can
//! look at them: `cargo run -p cp247-render --example render_examples -- /tmp/out`.

use std::path::PathBuf;
use std::process::ExitCode;

use cp247_forms::{Kind, examples};
use cp247_i18n::Lang;

fn main() -> ExitCode {
    let dir = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from("target/cp247-render-examples"),
        PathBuf::from,
    );
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    for kind in [Kind::Art29, Kind::Art30, Kind::Art31, Kind::Art35] {
        let doc = examples::example(kind)?;
        for lang in Lang::ALL {
            let stem = dir.join(format!("{kind}-{lang}"));
            std::fs::write(
                stem.with_extension("txt"),
                cp247_render::render_text(&doc, lang),
            )?;
            std::fs::write(
                stem.with_extension("html"),
                cp247_render::render_html(&doc, lang),
            )?;
            std::fs::write(
                stem.with_extension("pdf"),
                cp247_render::render_pdf(&doc, lang)?,
            )?;
            eprintln!("{}.{{txt,html,pdf}}", stem.display());
        }
    }
    Ok(())
}
