#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! Every problem code (of requests and of replies) has a message in English and in French, with its arguments filled in.

use cp247_forms::{Code, FieldPath, Problem};
use cp247_i18n::Lang;

/// Arguments a message of `code` needs, with plausible values.
fn sample(code: Code) -> Problem {
    let path = FieldPath::root()
        .key("data_items")
        .index(1)
        .key("identifiers")
        .index(0)
        .key("observed")
        .key("start");
    let p = Problem::new(code, path);
    match code {
        Code::WrongType => p
            .with_arg("expected", "integer")
            .with_arg("found", "string"),
        Code::TooLong | Code::TooManyItems => p.with_arg("max", "500"),
        Code::InvalidChoice => p.with_arg("allowed", "new, extension"),
        Code::OutOfRange => p.with_arg("min", "1").with_arg("max", "1200"),
        Code::PeriodTooShort => p.with_arg("min", "60"),
        Code::InvalidIpAddress => p.with_arg("family", "IPv4"),
        Code::InvalidDeviceCode => p.with_arg("format", "IMEI"),
        // Rules of replies: every argument any of them takes.
        c if c.is_reply_rule() => p
            .with_arg("header", "refused")
            .with_arg("kind", "executed")
            .with_arg("article", "art29")
            .with_arg("ground", "other")
            .with_arg("expected", "legal")
            .with_arg("min", "60")
            .with_arg("max", "3")
            .with_arg("days", "30")
            .with_arg("item", "2")
            .with_arg("field", "decision")
            .with_arg("value", "modify")
            .with_arg("after", "received_at"),
        _ => p,
    }
}

#[test]
fn every_code_has_a_message_in_both_languages() {
    for code in Code::ALL {
        for lang in Lang::ALL {
            let key = code.message_key();
            assert!(cp247_i18n::has(lang, &key), "{key} missing in {lang}");
            let msg = sample(*code).message(lang);
            assert!(!msg.contains('⟦'), "{key} in {lang}: {msg}");
            assert!(
                !msg.contains("{ $") && !msg.contains('$'),
                "{key} in {lang}: {msg}"
            );
            assert!(
                msg.contains("data_items[1].identifiers[0].observed.start"),
                "{key} in {lang} does not say where: {msg}"
            );
        }
        let en = sample(*code).message(Lang::En);
        let fr = sample(*code).message(Lang::Fr);
        assert_ne!(en, fr, "{code}: French is a copy of English");
    }
}

#[test]
fn arguments_are_used() {
    let p = sample(Code::WrongType);
    assert_eq!(
        p.message(Lang::En),
        "data_items[1].identifiers[0].observed.start must be a whole number, not a text."
    );
    assert_eq!(
        p.message(Lang::Fr),
        "data_items[1].identifiers[0].observed.start doit être un nombre entier, et non un texte."
    );
    assert!(
        sample(Code::OutOfRange)
            .message(Lang::Fr)
            .contains("de 1 à 1200")
    );
    assert!(
        sample(Code::InvalidIpAddress)
            .message(Lang::En)
            .contains("IPv4 address")
    );
    assert_eq!(
        sample(Code::MissingField).line(Lang::En),
        format!(
            "missing-field data_items[1].identifiers[0].observed.start: {}",
            sample(Code::MissingField).message(Lang::En)
        )
    );
}
