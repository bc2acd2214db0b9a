//! cp247's one message catalogue.
//!
//! Every label, heading, message and validation problem that a person reads comes from the
//! Fluent files under `locales/<lang>/`, one file per area (`forms.ftl`, `validation.ftl`, …),
//! so a jurist can correct a translation in one place. The catalogue is embedded at compile time.
//! A test checks that English and French define exactly the same keys.
#![warn(missing_docs)]

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use serde::{Deserialize, Serialize};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Bidi isolation marks would end up in PDFs and plain-text outputs.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static FR: LanguageIdentifier = langid!("fr");

/// A language cp247 speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
}

/// Why a text is not a [`Lang`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a supported language: use en or fr")]
pub struct LangError(String);

impl Lang {
    /// Every supported language.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    /// The BCP 47 tag.
    pub fn code(&self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// Picks the best supported language from an HTTP `Accept-Language` header, honouring
    /// q-values; English when nothing matches.
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for item in accept_language.split(',').take(32) {
            let mut parts = item.trim().split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if !(0.0..=1.0).contains(&q) || q == 0.0 {
                continue;
            }
            let primary = tag.split('-').next().unwrap_or_default();
            let lang = match primary {
                "en" => Lang::En,
                "fr" => Lang::Fr,
                _ => continue,
            };
            // q in thousandths, so the comparison is exact; the first of equals wins.
            let weight = (q * 1000.0) as u16;
            if best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    fn id(&self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Lang {
    type Err = LangError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(Lang::En),
            "fr" => Ok(Lang::Fr),
            other => Err(LangError(other.to_owned())),
        }
    }
}

/// The text of `key` in `lang`. A key missing from the catalogue yields `⟦key⟧`, which the
/// catalogue tests and the snapshot tests make visible; it never panics.
pub fn text(lang: Lang, key: &str) -> String {
    LOCALES
        .try_lookup(lang.id(), key)
        .unwrap_or_else(|| format!("⟦{key}⟧"))
}

/// The text of `key` in `lang`, with named arguments (`{ $path }` in the catalogue).
pub fn text_args(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(k, v)| {
            (
                Cow::Owned((*k).to_owned()),
                FluentValue::from((*v).to_owned()),
            )
        })
        .collect();
    LOCALES
        .try_lookup_with_args(lang.id(), key, &map)
        .unwrap_or_else(|| format!("⟦{key}⟧"))
}

/// True when `key` exists in `lang` (without falling back to another language).
pub fn has(lang: Lang, key: &str) -> bool {
    match LOCALES.lookup_single_language::<&str>(lang.id(), key, None) {
        Ok(_) => true,
        // A message that needs arguments exists even though it cannot be formatted without them.
        // The crate does not export its error type, so the kinds are told apart by their text.
        Err(e) => !e.to_string().starts_with("Couldn't retrieve message"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    fn keys(lang: &str) -> BTreeSet<String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("locales")
            .join(lang);
        let mut out = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines() {
                if let Some((k, _)) = line.split_once(" =")
                    && !k.is_empty()
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                {
                    assert!(out.insert(k.to_owned()), "duplicate key {k} in {lang}");
                }
            }
        }
        out
    }

    #[test]
    fn english_and_french_define_the_same_keys() {
        let en = keys("en");
        let fr = keys("fr");
        let only_en: Vec<_> = en.difference(&fr).collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in French: {only_en:?}");
        assert!(only_fr.is_empty(), "missing in English: {only_fr:?}");
        for k in &en {
            assert!(has(Lang::En, k) && has(Lang::Fr, k), "{k} does not resolve");
        }
    }

    #[test]
    fn looks_up_with_arguments_and_marks_missing_keys() {
        assert_eq!(text(Lang::Fr, "lang-name"), "Français");
        assert_eq!(
            text_args(Lang::En, "problem-at", &[("path", "a.b")]),
            "at a.b"
        );
        assert_eq!(text(Lang::En, "no-such-key"), "⟦no-such-key⟧");
    }

    #[test]
    fn negotiates_accept_language() {
        assert_eq!(Lang::negotiate("fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(Lang::negotiate("de-DE,en;q=0.5,fr;q=0.7"), Lang::Fr);
        assert_eq!(Lang::negotiate("en-GB"), Lang::En);
        assert_eq!(Lang::negotiate("de"), Lang::En);
        assert_eq!(Lang::negotiate("fr;q=0"), Lang::En);
        assert_eq!(Lang::negotiate(""), Lang::En);
    }
}
