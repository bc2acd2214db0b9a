// Integration test: unwrap/expect/panic are how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Every rendering follows template-sections.md: the titles, the section numbers and headings in
//! order, in English and French, every section printed, and no empty slot anywhere — for the
//! built-in examples and for any valid document the forms strategies generate.

use cp247_forms::{Document, Kind, examples};
use cp247_i18n::Lang;
use cp247_render::{DocumentView, Value, html, text, view};
use proptest::prelude::*;

/// The contract, copied from template-sections.md (English, French). When a jurist corrects a
/// heading in forms.ftl, this table is updated with it, so every change is reviewed here.
fn expected(
    kind: Kind,
) -> (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
) {
    match kind {
        Kind::Art29 => (
            "Data Preservation Request under Articles 29 and 30 of the Budapest Convention on Cybercrime",
            "Demande de conservation de données au titre des articles 29 et 30 de la Convention de Budapest sur la cybercriminalité",
            &[
                ("Date", "Date"),
                ("Reference / case number", "Référence / numéro de dossier"),
                ("Request status", "Statut de la demande"),
                ("Requested authority", "Autorité requise"),
                ("Requesting authority", "Autorité requérante"),
                (
                    "Contact for additional confirmation",
                    "Contact pour toute confirmation complémentaire",
                ),
                (
                    "Investigative / operational authority in charge of the case",
                    "Autorité d'enquête / opérationnelle en charge de l'affaire",
                ),
                ("Urgency and confidentiality", "Urgence et confidentialité"),
                (
                    "Offence(s) and summary of facts",
                    "Infraction(s) et résumé des faits",
                ),
                ("Data to be preserved", "Données à conserver"),
                (
                    "Relationship of the data to the offence",
                    "Lien entre les données et l'infraction",
                ),
                (
                    "Custodian of the data / location of the computer system",
                    "Détenteur des données / localisation du système informatique",
                ),
                ("Necessity of preservation", "Nécessité de la conservation"),
                (
                    "Intention to submit a request for mutual assistance",
                    "Intention de présenter une demande d'entraide",
                ),
                (
                    "Expedited disclosure of traffic data (Article 30)",
                    "Divulgation rapide de données relatives au trafic (article 30)",
                ),
                ("Authorisation", "Autorisation"),
            ],
        ),
        Kind::Art31 => (
            "Mutual Legal Assistance Request for subscriber information under Article 31 of the Budapest Convention on Cybercrime",
            "Demande d'entraide judiciaire relative aux informations sur les abonnés au titre de l'article 31 de la Convention de Budapest sur la cybercriminalité",
            &[
                ("Date", "Date"),
                ("Reference / case number", "Référence / numéro de dossier"),
                ("Request status", "Statut de la demande"),
                ("Requested authority", "Autorité requise"),
                ("Requesting authority", "Autorité requérante"),
                (
                    "Contact for additional confirmation",
                    "Contact pour toute confirmation complémentaire",
                ),
                (
                    "Investigative / operational authority in charge of the case",
                    "Autorité d'enquête / opérationnelle en charge de l'affaire",
                ),
                (
                    "Prosecution office or court in charge",
                    "Parquet ou juridiction compétent(e)",
                ),
                ("Previous MLA request", "Demande d'entraide antérieure"),
                (
                    "Previous preservation request",
                    "Demande de conservation antérieure",
                ),
                (
                    "Domestic legal basis for the request",
                    "Base juridique nationale de la demande",
                ),
                ("Urgency and confidentiality", "Urgence et confidentialité"),
                (
                    "Offence(s) and summary of facts",
                    "Infraction(s) et résumé des faits",
                ),
                (
                    "Subscriber information sought",
                    "Informations sur les abonnés demandées",
                ),
                (
                    "Relevance to the investigation",
                    "Pertinence pour l'enquête",
                ),
                (
                    "Conditions and use limitation",
                    "Conditions et limitation d'utilisation",
                ),
                ("Annexes", "Annexes"),
                ("Authorisation", "Autorisation"),
            ],
        ),
        Kind::Art30 => (
            "Expedited Disclosure of Preserved Traffic Data under Article 30 of the Budapest Convention on Cybercrime",
            "Divulgation rapide de données relatives au trafic conservées au titre de l'article 30 de la Convention de Budapest sur la cybercriminalité",
            &[
                (
                    "Preservation request concerned",
                    "Demande de conservation concernée",
                ),
                ("Communication traced", "Communication tracée"),
                (
                    "Service provider(s) in another State",
                    "Fournisseur(s) de services dans un autre État",
                ),
                (
                    "Traffic data disclosed",
                    "Données relatives au trafic divulguées",
                ),
                ("Path of the communication", "Chemin de la communication"),
                ("Withholding", "Refus de divulgation"),
                ("Conditions", "Conditions"),
            ],
        ),
        Kind::Art35 => (
            "Request for Technical or Legal Assistance under Article 35 of the Budapest Convention on Cybercrime",
            "Demande d'assistance technique ou juridique au titre de l'article 35 de la Convention de Budapest sur la cybercriminalité",
            &[
                ("Date and reference", "Date et référence"),
                (
                    "Requesting and requested contact points",
                    "Points de contact requérant et requis",
                ),
                ("Type of assistance", "Nature de l'assistance"),
                ("Question", "Question"),
                ("Context", "Contexte"),
                ("Identifiers", "Identifiants"),
                ("Answer needed by", "Réponse souhaitée avant le"),
                ("Urgency and confidentiality", "Urgence et confidentialité"),
            ],
        ),
    }
}

/// Checks that `v` follows the template of `kind` in `lang` and has no empty slot, and that the
/// text and HTML layouts print the headings in order and no empty value.
fn check(kind: Kind, v: &DocumentView, lang: Lang, scan_text: bool) -> Result<(), String> {
    let (title_en, title_fr, sections) = expected(kind);
    let title = if lang == Lang::En { title_en } else { title_fr };
    if v.title != title {
        return Err(format!("title {:?}", v.title));
    }
    let headings: Vec<(u8, &str)> = v
        .sections
        .iter()
        .map(|s| (s.number, s.heading.as_str()))
        .collect();
    let want: Vec<(u8, &str)> = sections
        .iter()
        .enumerate()
        .map(|(i, (en, fr))| {
            (
                u8::try_from(i + 1).unwrap(),
                if lang == Lang::En { *en } else { *fr },
            )
        })
        .collect();
    if headings != want {
        return Err(format!("headings {headings:#?}"));
    }
    let slots = v.empty_slots();
    if !slots.is_empty() {
        return Err(format!("empty slots {slots:?}"));
    }

    // Text: headings in order, and no label whose value is missing.
    let txt = text::layout(v);
    let mut from = 0;
    for (n, h) in &want {
        let line = format!("\n{n}. {h}\n");
        match txt[from..].find(&line) {
            Some(at) => from += at + line.len(),
            None => return Err(format!("text layout lacks {line:?} after byte {from}")),
        }
    }
    // A label line ends with its separator's colon and is followed by its value, indented
    // further. (Generated texts may themselves end a line with a colon, so only the examples,
    // whose texts are known, are scanned this way.)
    let lines: Vec<&str> = if scan_text {
        txt.lines().collect()
    } else {
        Vec::new()
    };
    for (i, line) in lines.iter().enumerate() {
        if line.trim_end().ends_with(':') && !line.trim_start().starts_with("-- ") {
            let indent = line.len() - line.trim_start().len();
            let next = lines.get(i + 1).copied().unwrap_or_default();
            let next_indent = next.len() - next.trim_start().len();
            if next.trim().is_empty() || next_indent <= indent {
                return Err(format!("text line {} has no value: {line:?}", i + 1));
            }
        }
        if line.trim() == "-" {
            return Err(format!("text line {} is an empty list item", i + 1));
        }
    }

    // HTML: headings in order, no empty element where a value goes.
    let page = html::page(v);
    let mut from = 0;
    for (n, h) in &want {
        let h2 = format!(
            "<span class=\"cp247-num\">{n}.</span> {}</h2>",
            html::escape(h)
        );
        match page[from..].find(&h2) {
            Some(at) => from += at + h2.len(),
            None => return Err(format!("HTML lacks heading {h2:?}")),
        }
    }
    for empty in [
        "<td></td>",
        "<th scope=\"row\"></th>",
        "<li></li>",
        "<ul class=\"cp247-list\"></ul>",
        "\"></span>",
        "\"></div>",
        "<tbody>\n</tbody>",
    ] {
        if page.contains(empty) {
            return Err(format!("HTML has an empty slot {empty:?}"));
        }
    }
    Ok(())
}

#[test]
fn examples_follow_the_template_in_both_languages() {
    for kind in [Kind::Art29, Kind::Art30, Kind::Art31, Kind::Art35] {
        let doc = examples::example(kind).unwrap();
        for lang in Lang::ALL {
            let v = view(&doc, lang);
            check(kind, &v, lang, true).unwrap_or_else(|e| panic!("{kind} {lang}: {e}"));
        }
    }
}

#[test]
fn not_applicable_sections_say_so_with_the_reason() {
    // The Art. 31 example is a follow-up to a preservation request: §9 (previous MLA request)
    // does not apply and must say why, in the reader's language.
    let doc = examples::example(Kind::Art31).unwrap();
    let Document::Art31(d) = &doc else {
        panic!("not art31")
    };
    let reason = d
        .request_status
        .previous_mla()
        .reason()
        .unwrap()
        .as_str()
        .to_owned();
    for (lang, word) in [(Lang::En, "Not applicable — "), (Lang::Fr, "Sans objet — ")] {
        let v = view(&doc, lang);
        let s9 = &v.sections[8];
        assert_eq!(s9.number, 9);
        assert_eq!(s9.rows.len(), 1);
        assert_eq!(
            s9.rows[0].value,
            Value::NotApplicable(format!("{word}{reason}"))
        );
    }
}

#[test]
fn instants_show_offset_zone_and_original_text() {
    let doc = examples::example(Kind::Art29).unwrap();
    let txt = cp247_render::render_text(&doc, Lang::Fr);
    assert!(
        txt.contains("20/02/2026 13:28 (UTC+01:00, Europe/Paris)"),
        "{txt}"
    );
    assert!(
        txt.contains("Tel qu'enregistré\u{a0}: 20/Feb/2026:13:28:00 +0100"),
        "{txt}"
    );
    let txt = cp247_render::render_text(&doc, Lang::En);
    assert!(
        txt.contains("As recorded: 20/Feb/2026:13:28:00 +0100"),
        "{txt}"
    );
}

fn kind_of(doc: &Document) -> Kind {
    doc.kind()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_document_follows_the_template(doc in cp247_forms::strategies::document(),
                                               fr in any::<bool>()) {
        let lang = if fr { Lang::Fr } else { Lang::En };
        let v = view(&doc, lang);
        if let Err(e) = check(kind_of(&doc), &v, lang, false) {
            prop_assert!(false, "{}", e);
        }
    }
}
