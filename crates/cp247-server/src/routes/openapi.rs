//! The API's OpenAPI document as the node serves it: `docs/api/openapi.json` with the
//! constraints the server checks set from the very constants and configuration it checks them
//! with — Party codes, the ticket-id and message-id formats, the paging limit, the longest
//! `within`, TLP markings, delivery states, token roles and names, the token lifetime and the
//! number of attachments.
//!
//! The committed file is what a node with the default configuration serves, byte for byte (a
//! test fails, printing the schema it should hold, when a constraint there differs from the
//! server's), so that readers of the file and clients of a node see the same document.

use serde_json::{Value, json};

use crate::auth::Role;
use crate::config::ConfigFile;

/// The committed document (`docs/api/openapi.json`).
pub const TEMPLATE: &str = include_str!("../../../../docs/api/openapi.json");

/// The most rows one page returns (`limit`).
pub const MAX_PAGE_LIMIT: u32 = 500;
/// The rows one page returns when `limit` is not given.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;
/// The furthest ahead `GET /api/v1/due?within=` looks, in days.
pub const MAX_WITHIN_DAYS: u64 = 90;
/// The most digits of a period's number (`config::Period`).
pub const PERIOD_DIGITS: usize = 12;
/// The longest API token name, in bytes (the store's limit); the API takes printable ASCII
/// only, so characters and bytes are the same.
pub const MAX_TOKEN_NAME: usize = 64;
/// The longest reference of a request, in characters: the store keeps at most
/// `cp247_store::CaseText::MAX` bytes, and a character takes at most four.
pub const MAX_REFERENCE_CHARS: usize = cp247_store::CaseText::MAX / 4;

/// Crockford's base-32 alphabet of ticket codes, as a regular-expression class.
const TICKET_CODE_CLASS: &str = "[0-9A-HJKMNP-TV-Z]";

/// The TLP markings the API takes, in their JSON spelling.
pub const MARKINGS: [cp247_casework::TlpMarking; 5] = {
    use cp247_casework::TlpMarking::{Amber, AmberStrict, Clear, Green, Red};
    [Clear, Green, Amber, AmberStrict, Red]
};

/// What of a node's configuration the document states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    /// `tokens.max_lifetime`, in days.
    pub max_token_days: u32,
    /// `limits.max_attachments`.
    pub max_attachments: usize,
}

impl NodeLimits {
    /// The limits of a node with `config`.
    pub fn of(config: &ConfigFile) -> Self {
        Self {
            max_token_days: config.tokens.policy().max_days,
            max_attachments: config.limits.max_attachments,
        }
    }

    /// The limits of a node with the default configuration.
    pub fn defaults() -> Self {
        Self {
            max_token_days: crate::config::TokensSection::default().policy().max_days,
            max_attachments: crate::config::LimitsSection::default().max_attachments,
        }
    }
}

/// Every Party code the server takes, in the order of the directory's lists.
pub fn party_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = cp247_domain::PartyCode::countries()
        .map(|p| p.as_str())
        .collect();
    for org in ["EU", "EUROJUST", "EUROPOL", "INTERPOL"] {
        if let Ok(p) = cp247_domain::PartyCode::parse(org) {
            codes.push(p.as_str());
        }
    }
    codes
}

/// The Party codes as a short regular expression: the two-letter codes grouped by their first
/// letter (`F[IJKMOR]`), then the organisation codes.
pub fn party_alternatives() -> String {
    let mut groups: std::collections::BTreeMap<char, String> = std::collections::BTreeMap::new();
    let mut others = Vec::new();
    for code in party_codes() {
        let mut chars = code.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(first), Some(second), None) => {
                groups.entry(first).or_default().push(second);
            }
            _ => others.push(code.to_owned()),
        }
    }
    let mut alternatives: Vec<String> = groups
        .into_iter()
        .map(|(first, seconds)| {
            if seconds.chars().count() == 1 {
                format!("{first}{seconds}")
            } else {
                format!("{first}[{seconds}]")
            }
        })
        .collect();
    alternatives.extend(others);
    alternatives.join("|")
}

/// The ticket-id format: a Party code, a four-digit year, 4 to 12 Crockford characters.
pub fn ticket_pattern() -> String {
    format!(
        "^(?:{})-[0-9]{{4}}-{TICKET_CODE_CLASS}{{4,12}}$",
        party_alternatives()
    )
}

/// A message id: a UUID of version 7, hyphenated, in lower case.
pub const MESSAGE_ID_PATTERN: &str =
    "^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// Any period the server reads (`config::Period`): 1 to 12 digits and a unit.
pub const PERIOD_PATTERN: &str = "^[0-9]{1,12}(?:ms|s|m|h|d)$";

/// The periods of at most `max_days` days, exactly: for each unit, the numbers (with leading
/// zeros, 12 digits at most) whose period is not longer.
pub fn within_pattern(max_days: u64) -> String {
    let max_ms = max_days.saturating_mul(86_400_000);
    let units = [
        ("ms", 1u64),
        ("s", 1_000),
        ("m", 60_000),
        ("h", 3_600_000),
        ("d", 86_400_000),
    ];
    let alternatives: Vec<String> = units
        .iter()
        .map(|(unit, per)| format!("{}{unit}", numbers_up_to(max_ms / per, PERIOD_DIGITS)))
        .collect();
    format!("^(?:{})$", alternatives.join("|"))
}

/// A regular expression (a non-capturing group) matching the decimal numbers 0 to `max`,
/// written with at most `digits` digits (leading zeros allowed).
pub fn numbers_up_to(max: u64, digits: usize) -> String {
    let mut alternatives = vec![format!("0{{1,{digits}}}")];
    let text = max.to_string();
    for len in 1..=text.len().min(digits) {
        let low = if len == 1 {
            "1".to_owned()
        } else {
            format!("1{}", "0".repeat(len - 1))
        };
        let high = if len == text.len() {
            text.clone()
        } else {
            "9".repeat(len)
        };
        let zeros = digits - len;
        let prefix = if zeros == 0 {
            String::new()
        } else {
            format!("0{{0,{zeros}}}")
        };
        for part in same_length(low.as_bytes(), high.as_bytes()) {
            alternatives.push(format!("{prefix}{part}"));
        }
    }
    format!("(?:{})", alternatives.join("|"))
}

/// Regular expressions for the numbers from `low` to `high`, both of the same length.
fn same_length(low: &[u8], high: &[u8]) -> Vec<String> {
    let (Some((&l, low_rest)), Some((&h, high_rest))) = (low.split_first(), high.split_first())
    else {
        return vec![String::new()];
    };
    let rest = low_rest.len();
    let any = |n: usize| {
        if n == 0 {
            String::new()
        } else {
            format!("[0-9]{{{n}}}")
        }
    };
    let class = |a: u8, b: u8| {
        if a == b {
            char::from(a).to_string()
        } else {
            format!("[{}-{}]", char::from(a), char::from(b))
        }
    };
    if l == h {
        return same_length(low_rest, high_rest)
            .into_iter()
            .map(|p| format!("{}{p}", char::from(l)))
            .collect();
    }
    let mut out = Vec::new();
    let mut first = l;
    let mut last = h;
    if low_rest.iter().any(|&b| b != b'0') {
        let nines = vec![b'9'; rest];
        for p in same_length(low_rest, &nines) {
            out.push(format!("{}{p}", char::from(l)));
        }
        first = l + 1;
    }
    let mut tail = Vec::new();
    if high_rest.iter().any(|&b| b != b'9') {
        let zeros = vec![b'0'; rest];
        for p in same_length(&zeros, high_rest) {
            tail.push(format!("{}{p}", char::from(h)));
        }
        last = h - 1;
    }
    if first <= last {
        out.push(format!("{}{}", class(first, last), any(rest)));
    }
    out.extend(tail);
    out
}

/// One printable ASCII line with something other than spaces (an API token's name).
pub const TOKEN_NAME_PATTERN: &str = "^[ -~]*[!-~][ -~]*$";

/// One line with something other than white space and no control character (a reference).
pub const LINE_PATTERN: &str = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$";

/// The constraints, as (component schema name, schema).
pub fn constraints(limits: NodeLimits) -> Vec<(&'static str, Value)> {
    let markings: Vec<Value> = MARKINGS
        .iter()
        .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
        .collect();
    let mut roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    roles.push("admin");
    vec![
        (
            "PartyCode",
            json!({
                "type": "string",
                "enum": party_codes(),
                "description": "An officially assigned ISO 3166-1 alpha-2 code of a Party (upper case; the United Kingdom is GB), or one of the organisation codes EU, EUROJUST, EUROPOL, INTERPOL.",
            }),
        ),
        (
            "TicketId",
            json!({
                "type": "string",
                "pattern": ticket_pattern(),
                "description": "PARTY-YEAR-CODE: the Party that opened the ticket, four digits, and 4 to 12 characters of Crockford's base 32 (no I, L, O, U).",
            }),
        ),
        (
            "MessageId",
            json!({
                "type": "string",
                "pattern": MESSAGE_ID_PATTERN,
                "description": "A UUID of version 7, hyphenated, in lower case.",
            }),
        ),
        (
            "PageOffset",
            json!({
                "type": "integer",
                "minimum": 0,
                "maximum": u64::MAX,
                "default": 0,
                "description": "Rows to skip.",
            }),
        ),
        (
            "PageLimit",
            json!({
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_PAGE_LIMIT,
                "default": DEFAULT_PAGE_LIMIT,
                "description": format!("Rows to return: 1 to {MAX_PAGE_LIMIT}."),
            }),
        ),
        (
            "Within",
            json!({
                "type": "string",
                "pattern": within_pattern(MAX_WITHIN_DAYS),
                "default": "24h",
                "description": format!("How far ahead: a whole number and a unit (ms, s, m, h, d), e.g. 30m, 24h, 7d; at most {MAX_WITHIN_DAYS}d."),
            }),
        ),
        (
            "Period",
            json!({
                "type": "string",
                "pattern": PERIOD_PATTERN,
                "description": "A whole number (1 to 12 digits) and a unit: ms, s, m, h or d (90m, 14d).",
            }),
        ),
        (
            "AttachmentIndex",
            json!({
                "type": "integer",
                "minimum": 0,
                "maximum": u32::MAX,
                "description": "The file's place in its message, from 0.",
            }),
        ),
        (
            "DeliveryState",
            json!({
                "type": "string",
                "enum": cp247_store::DeliveryState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            }),
        ),
        (
            "TlpMarking",
            json!({
                "type": "string",
                "enum": markings,
                "description": "A Traffic Light Protocol marking (FIRST TLP 2.0).",
            }),
        ),
        (
            "Reference",
            json!({
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_REFERENCE_CHARS,
                "pattern": LINE_PATTERN,
                "description": format!("The requesting authority's reference, shown in lists: one line, not blank, no control character, at most {MAX_REFERENCE_CHARS} characters."),
            }),
        ),
        (
            "TokenName",
            json!({
                "type": "string",
                "minLength": 1,
                "maxLength": MAX_TOKEN_NAME,
                "pattern": TOKEN_NAME_PATTERN,
                "description": format!("A unique name: printable ASCII, not blank, at most {MAX_TOKEN_NAME} characters (spaces at either end are dropped)."),
            }),
        ),
        (
            "TokenRole",
            json!({
                "type": "string",
                "enum": roles,
                "description": "The role of the new API-only account: an administrator may ask only for monitor; any other is refused with 403 not_issuable.",
            }),
        ),
        (
            "TokenLifetime",
            json!({
                "type": "integer",
                "minimum": 1,
                "maximum": limits.max_token_days,
                "description": format!("Days: default tokens.default_lifetime; at most tokens.max_lifetime ({} days on this node).", limits.max_token_days),
            }),
        ),
        (
            "AttachmentInputs",
            json!({
                "type": "array",
                "items": { "$ref": "#/components/schemas/AttachmentInput" },
                "maxItems": limits.max_attachments,
                "description": format!("Files sent with the message, sealed and signed with it: at most {} on this node (limits.max_attachments).", limits.max_attachments),
            }),
        ),
    ]
}

/// The document a node with `limits` serves.
pub fn document(limits: NodeLimits) -> Value {
    let mut doc: Value = match serde_json::from_str(TEMPLATE) {
        Ok(doc) => doc,
        Err(e) => {
            // The tests read the same file: this cannot ship.
            tracing::error!(error = %e, "docs/api/openapi.json is not JSON");
            return json!({});
        }
    };
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in constraints(limits) {
            schemas.insert(name.to_owned(), schema);
        }
    }
    doc
}

/// The document as served, in the committed file's layout (two-space indents, a final newline).
pub fn render(limits: NodeLimits) -> String {
    let mut text = serde_json::to_string_pretty(&document(limits)).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Period;
    use proptest::prelude::*;

    fn committed() -> Value {
        serde_json::from_str(TEMPLATE).unwrap()
    }

    /// A validator for one component schema of the committed document.
    fn validator(name: &str) -> jsonschema::Validator {
        let mut root = committed();
        root["$ref"] = json!(format!("#/components/schemas/{name}"));
        jsonschema::draft202012::new(&root).unwrap()
    }

    /// The server's own rule for `within`: a period of at most MAX_WITHIN_DAYS.
    fn server_takes_within(text: &str) -> bool {
        text.parse::<Period>()
            .is_ok_and(|p| p.duration() <= std::time::Duration::from_secs(MAX_WITHIN_DAYS * 86_400))
    }

    #[test]
    fn the_committed_document_carries_the_servers_constraints() {
        let doc = committed();
        let constraints = constraints(NodeLimits::defaults());
        for (name, schema) in &constraints {
            assert_eq!(
                &doc["components"]["schemas"][name],
                schema,
                "components.schemas.{name} of docs/api/openapi.json is not the server's rule; it should be:\n{}",
                serde_json::to_string_pretty(schema).unwrap()
            );
        }
        // A node with the default configuration serves the file as it is.
        assert_eq!(document(NodeLimits::defaults()), doc);
        // A few against the constants themselves, not through `constraints`.
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["PageLimit"]["maximum"], json!(MAX_PAGE_LIMIT));
        assert_eq!(schemas["PageLimit"]["maximum"], json!(500));
        assert_eq!(
            schemas["TokenLifetime"]["maximum"],
            json!(crate::config::TokensSection::default().policy().max_days)
        );
        assert_eq!(
            schemas["AttachmentInputs"]["maxItems"],
            json!(crate::config::LimitsSection::default().max_attachments)
        );
        assert_eq!(
            schemas["PartyCode"]["enum"].as_array().unwrap().len(),
            cp247_domain::PartyCode::countries().count() + 4
        );
    }

    #[test]
    fn a_node_serves_its_own_limits() {
        let limits = NodeLimits {
            max_token_days: 30,
            max_attachments: 3,
        };
        let doc = document(limits);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["TokenLifetime"]["maximum"], 30);
        assert_eq!(schemas["AttachmentInputs"]["maxItems"], 3);
        let rendered: Value = serde_json::from_str(&render(limits)).unwrap();
        assert_eq!(rendered, doc);
    }

    #[test]
    fn party_codes_are_the_servers() {
        let v = validator("PartyCode");
        for code in party_codes() {
            assert!(cp247_domain::PartyCode::parse(code).is_ok(), "{code}");
            assert!(v.is_valid(&json!(code)), "{code}");
        }
        for code in ["UK", "QQ", "XX", "fr", "F", "EUR", ""] {
            assert!(cp247_domain::PartyCode::parse(code).is_err(), "{code}");
            assert!(!v.is_valid(&json!(code)), "{code}");
        }
    }

    #[test]
    fn markings_are_the_servers() {
        // A new marking fails to compile here until MARKINGS lists it.
        for m in MARKINGS {
            match m {
                cp247_casework::TlpMarking::Clear
                | cp247_casework::TlpMarking::Green
                | cp247_casework::TlpMarking::Amber
                | cp247_casework::TlpMarking::AmberStrict
                | cp247_casework::TlpMarking::Red => {}
            }
        }
        let v = validator("TlpMarking");
        for text in [
            "TLP:CLEAR",
            "TLP:AMBER+STRICT",
            "TLP:RED",
            "",
            "TLP:WHITE",
            "red",
        ] {
            let server = serde_json::from_value::<cp247_casework::TlpMarking>(json!(text)).is_ok();
            assert_eq!(v.is_valid(&json!(text)), server, "{text}");
        }
    }

    #[test]
    fn within_is_the_servers_rule_at_its_edges() {
        let v = validator("Within");
        for text in [
            "0d",
            "90d",
            "91d",
            "0090d",
            "000000000090d",
            "0000000000090d",
            "2160h",
            "2161h",
            "129600m",
            "129601m",
            "7776000s",
            "7776001s",
            "7776000000ms",
            "7776000001ms",
            "999999999999d",
            "24h",
            "1",
            "d",
            "1x",
            "-1d",
            " 1d",
            "1d ",
            "",
        ] {
            assert_eq!(
                v.is_valid(&json!(text)),
                server_takes_within(text),
                "within={text}"
            );
        }
    }

    #[test]
    fn numbers_up_to_matches_exactly_the_numbers_up_to_max() {
        for max in [
            0u64,
            1,
            9,
            10,
            19,
            90,
            99,
            100,
            2160,
            129_600,
            7_776_000_000,
        ] {
            let re = regex_lite(&format!("^{}$", numbers_up_to(max, 12)));
            for n in [
                0u64, 1, 9, 10, 11, 89, 90, 91, 99, 100, 101, 2159, 2160, 2161,
            ]
            .into_iter()
            .chain([max.saturating_sub(1), max, max + 1])
            {
                assert_eq!(re.is_valid(&json!(n.to_string())), n <= max, "{n} ≤ {max}");
                assert_eq!(
                    re.is_valid(&json!(format!("00{n}"))),
                    n <= max && n.to_string().len() + 2 <= 12,
                    "00{n} ≤ {max}"
                );
            }
        }
    }

    /// A JSON Schema validator of strings with `pattern` (the engine clients use).
    fn regex_lite(pattern: &str) -> jsonschema::Validator {
        jsonschema::draft202012::new(&json!({ "type": "string", "pattern": pattern })).unwrap()
    }

    proptest! {
        #[test]
        fn within_is_the_servers_rule(text in "[0-9]{0,14}(ms|s|m|h|d|x|)") {
            let v = validator("Within");
            prop_assert_eq!(v.is_valid(&json!(text)), server_takes_within(&text), "{}", text);
        }

        #[test]
        fn ticket_ids_are_the_servers_rule(
            text in "(FR|MD|UK|QQ|EU|EUROPOL|[A-Z]{2})-[0-9]{3,5}-[0-9A-Z]{3,13}",
        ) {
            let v = validator("TicketId");
            prop_assert_eq!(
                v.is_valid(&json!(text)),
                cp247_domain::TicketId::parse(&text).is_ok(),
                "{}", text
            );
        }

        #[test]
        fn message_ids_are_the_servers_rule(text in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-fA-F]{12}") {
            let v = validator("MessageId");
            prop_assert_eq!(
                v.is_valid(&json!(text)),
                cp247_domain::MessageId::parse(&text).is_ok(),
                "{}", text
            );
        }

        #[test]
        fn periods_are_the_servers_rule(text in "[0-9]{0,14}(ms|s|m|h|d|x|)") {
            let v = validator("Period");
            prop_assert_eq!(v.is_valid(&json!(text)), text.parse::<Period>().is_ok(), "{}", text);
        }
    }
}
