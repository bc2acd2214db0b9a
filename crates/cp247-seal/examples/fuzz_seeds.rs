//! Writes the fuzz targets' seed corpus: `cargo run -p cp247-seal --example fuzz_seeds --
//! DIR` writes `DIR/<target>/seed-N` for every seed of `cp247_seal::fuzz_seeds` (used by
//! `scripts/fuzz-smoke.sh`).

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "corpus".into()));
    let mut count = 0usize;
    for (i, (target, seed)) in cp247_seal::fuzz_seeds().into_iter().enumerate() {
        let at = dir.join(target);
        std::fs::create_dir_all(&at)?;
        std::fs::write(at.join(format!("seed-{i}")), seed)?;
        count += 1;
    }
    println!("wrote {count} seeds under {}", dir.display());
    Ok(())
}
