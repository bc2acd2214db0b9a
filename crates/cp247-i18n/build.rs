//! The catalogue is embedded at compile time: rebuild when any `.ftl` file is added or edited.
fn main() {
    println!("cargo:rerun-if-changed=locales");
    for lang in ["en", "fr"] {
        println!("cargo:rerun-if-changed=locales/{lang}");
        if let Ok(entries) = std::fs::read_dir(format!("locales/{lang}")) {
            for entry in entries.flatten() {
                println!("cargo:rerun-if-changed={}", entry.path().display());
            }
        }
    }
}
