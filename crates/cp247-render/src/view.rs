//! The format-neutral view of a document: what a person reads, already in one language.
//!
//! A [`DocumentView`] is a title, a basis line, a few identifying lines, and the numbered sections
//! of the T-CY template in order. Each section holds labelled rows; each row holds a [`Value`].
//! The three renderers (text, HTML, PDF) only lay this structure out: every word of it has already
//! been chosen, translated and formatted by the mapping in [`crate::map`].
//!
//! The view cannot hold an empty slot. [`Value::text`] turns a blank string into an explicit
//! "no value was recorded" statement, an empty list or record becomes the same statement, and a
//! section always has at least one row. The forms model already refuses blank fields, so these
//! fallbacks only make the guarantee hold for every input the renderers could ever be given.

use serde::Serialize;

use cp247_i18n::{Lang, text};

/// A whole document, ready to be laid out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentView {
    /// The language every label of the view is in.
    #[serde(serialize_with = "ser_lang")]
    pub lang: Lang,
    /// The document's title, e.g. "Data Preservation Request under Articles 29 and 30 …".
    pub title: String,
    /// The legal basis and template the document follows, e.g. "T-CY(2018)11 — Articles 29 and 30".
    pub basis: String,
    /// Identifying lines printed under the title (ticket, message, parties).
    pub meta: Vec<Row>,
    /// The numbered sections, in the template's order.
    pub sections: Vec<SectionView>,
    /// The line printed at the foot of every page.
    pub footer: String,
    /// The short identification at the head of the second and later pages (kind and reference).
    pub running_head: String,
}

fn ser_lang<S: serde::Serializer>(lang: &Lang, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(lang.code())
}

/// One numbered section of the template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SectionView {
    /// The section's number in the template (1-based).
    pub number: u8,
    /// The section's heading, from the catalogue.
    pub heading: String,
    /// The section's content: at least one row.
    pub rows: Vec<Row>,
}

impl SectionView {
    /// A section with `rows`; an empty list of rows becomes one row saying that nothing was
    /// recorded, so a section is never empty.
    pub fn new(lang: Lang, number: u8, heading: String, rows: Vec<Row>) -> Self {
        let rows = if rows.is_empty() {
            vec![Row::new(
                text(lang, "render-content"),
                Value::nothing_recorded(lang),
            )]
        } else {
            rows
        };
        Self {
            number,
            heading,
            rows,
        }
    }

    /// A section that does not apply to this document, with the reason as a sentence.
    pub fn not_applicable(lang: Lang, number: u8, heading: String, reason: &str) -> Self {
        Self::new(
            lang,
            number,
            heading,
            vec![Row::new(
                text(lang, "render-content"),
                Value::not_applicable(lang, reason),
            )],
        )
    }
}

/// A labelled value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// The label, from the catalogue.
    pub label: String,
    /// The value.
    pub value: Value,
}

impl Row {
    /// A row.
    pub fn new(label: impl Into<String>, value: Value) -> Self {
        Self {
            label: label.into(),
            value,
        }
    }
}

/// What a row holds. Never empty: see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "v", rename_all = "snake_case")]
pub enum Value {
    /// A short value on one line (a name, a date, a code).
    Text(String),
    /// A long text kept with its line breaks (a summary of facts).
    Long(String),
    /// A list of values, in order.
    List(Vec<Value>),
    /// A sub-record of labelled values (an authority, an offence).
    Record(Vec<Row>),
    /// A table: column headings and rows of cells, one cell per column.
    Table(Table),
    /// The field does not apply; the string is the whole statement, e.g. "Not applicable — …".
    NotApplicable(String),
    /// The value is not known; the string is the whole statement, e.g. "Unknown — …".
    Unknown(String),
}

/// A table with headings. Every row has exactly one cell per column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Table {
    /// A table from parts that already satisfy the invariant (used to transform a table cell by
    /// cell).
    #[cfg(feature = "pdf")]
    pub(crate) fn from_parts(columns: Vec<String>, rows: Vec<Vec<Value>>) -> Self {
        Self { columns, rows }
    }

    /// The column headings.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// The rows, each with one cell per column.
    pub fn rows(&self) -> &[Vec<Value>] {
        &self.rows
    }
}

impl Value {
    /// A one-line value; a blank string becomes "Unknown — no value was recorded".
    pub fn text(lang: Lang, s: impl Into<String>) -> Self {
        let s = s.into();
        if s.trim().is_empty() {
            Self::nothing_recorded(lang)
        } else {
            Self::Text(s)
        }
    }

    /// A long text; a blank string becomes "Unknown — no value was recorded".
    pub fn long(lang: Lang, s: impl Into<String>) -> Self {
        let s = s.into();
        if s.trim().is_empty() {
            Self::nothing_recorded(lang)
        } else {
            Self::Long(s)
        }
    }

    /// A list; an empty list becomes "Unknown — no value was recorded".
    pub fn list(lang: Lang, items: Vec<Value>) -> Self {
        if items.is_empty() {
            Self::nothing_recorded(lang)
        } else {
            Self::List(items)
        }
    }

    /// A sub-record; an empty one becomes "Unknown — no value was recorded".
    pub fn record(lang: Lang, rows: Vec<Row>) -> Self {
        if rows.is_empty() {
            Self::nothing_recorded(lang)
        } else {
            Self::Record(rows)
        }
    }

    /// A table; without rows it becomes "Unknown — no value was recorded". A row with fewer
    /// cells than columns is completed with that statement, and extra cells are appended to the
    /// last cell as a list, so no cell is ever missing or lost.
    pub fn table(lang: Lang, columns: Vec<String>, rows: Vec<Vec<Value>>) -> Self {
        if rows.is_empty() || columns.is_empty() {
            return Self::nothing_recorded(lang);
        }
        let width = columns.len();
        let rows = rows
            .into_iter()
            .map(|mut cells| {
                if cells.len() > width {
                    let extra = cells.split_off(width - 1);
                    cells.push(Value::List(extra));
                }
                while cells.len() < width {
                    cells.push(Self::nothing_recorded(lang));
                }
                cells
            })
            .collect();
        Self::Table(Table { columns, rows })
    }

    /// "Not applicable — `reason`" in `lang`.
    pub fn not_applicable(lang: Lang, reason: &str) -> Self {
        Self::NotApplicable(statement(lang, "render-not-applicable", reason))
    }

    /// "Unknown — `reason`" in `lang`.
    pub fn unknown(lang: Lang, reason: &str) -> Self {
        Self::Unknown(statement(lang, "render-unknown", reason))
    }

    /// The statement used where a value is unexpectedly blank.
    pub fn nothing_recorded(lang: Lang) -> Self {
        Self::unknown(lang, &text(lang, "render-nothing-recorded"))
    }

    /// "Yes" or "No" in `lang`.
    pub fn yes_no(lang: Lang, b: bool) -> Self {
        Self::Text(text(lang, if b { "render-yes" } else { "render-no" }))
    }
}

/// "<word> — <reason>", where the reason is the author's sentence; a blank reason is replaced by
/// the catalogue's "no reason was given", so the statement is never cut short.
fn statement(lang: Lang, key: &str, reason: &str) -> String {
    let reason = reason.trim();
    let reason = if reason.is_empty() {
        text(lang, "render-no-reason")
    } else {
        reason.to_owned()
    };
    format!("{} — {}", text(lang, key), reason)
}

/// A problem with a view: a slot that would print as empty. Found by [`DocumentView::empty_slots`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmptySlot {
    /// Where: section number and labels, joined with " › ".
    pub path: String,
}

impl DocumentView {
    /// Every slot of the view that would print as empty (blank text, empty list, record, table,
    /// heading or label). The constructors make this impossible; the check exists so tests can
    /// prove it for every rendering.
    pub fn empty_slots(&self) -> Vec<EmptySlot> {
        let mut out = Vec::new();
        let blank = |s: &str| s.trim().is_empty();
        if blank(&self.title) {
            out.push(EmptySlot {
                path: "title".into(),
            });
        }
        if blank(&self.running_head) {
            out.push(EmptySlot {
                path: "running_head".into(),
            });
        }
        if blank(&self.footer) {
            out.push(EmptySlot {
                path: "footer".into(),
            });
        }
        if blank(&self.basis) {
            out.push(EmptySlot {
                path: "basis".into(),
            });
        }
        for row in &self.meta {
            check_row(row, "meta", &mut out);
        }
        if self.sections.is_empty() {
            out.push(EmptySlot {
                path: "sections".into(),
            });
        }
        for s in &self.sections {
            let path = format!("§{}", s.number);
            if blank(&s.heading) {
                out.push(EmptySlot {
                    path: format!("{path} heading"),
                });
            }
            if s.rows.is_empty() {
                out.push(EmptySlot { path: path.clone() });
            }
            for row in &s.rows {
                check_row(row, &path, &mut out);
            }
        }
        out
    }
}

fn check_row(row: &Row, path: &str, out: &mut Vec<EmptySlot>) {
    let path = format!("{path} › {}", row.label);
    if row.label.trim().is_empty() {
        out.push(EmptySlot {
            path: format!("{path}(label)"),
        });
    }
    check_value(&row.value, &path, out);
}

fn check_value(value: &Value, path: &str, out: &mut Vec<EmptySlot>) {
    match value {
        Value::Text(s) | Value::Long(s) | Value::NotApplicable(s) | Value::Unknown(s) => {
            if s.trim().is_empty() {
                out.push(EmptySlot {
                    path: path.to_owned(),
                });
            }
        }
        Value::List(items) => {
            if items.is_empty() {
                out.push(EmptySlot {
                    path: path.to_owned(),
                });
            }
            for (i, v) in items.iter().enumerate() {
                check_value(v, &format!("{path}[{}]", i + 1), out);
            }
        }
        Value::Record(rows) => {
            if rows.is_empty() {
                out.push(EmptySlot {
                    path: path.to_owned(),
                });
            }
            for r in rows {
                check_row(r, path, out);
            }
        }
        Value::Table(t) => {
            if t.rows.is_empty() || t.columns.is_empty() {
                out.push(EmptySlot {
                    path: path.to_owned(),
                });
            }
            for (c, col) in t.columns.iter().enumerate() {
                if col.trim().is_empty() {
                    out.push(EmptySlot {
                        path: format!("{path} column {}", c + 1),
                    });
                }
            }
            for (r, cells) in t.rows.iter().enumerate() {
                if cells.len() != t.columns.len() {
                    out.push(EmptySlot {
                        path: format!("{path} row {}", r + 1),
                    });
                }
                for (c, cell) in cells.iter().enumerate() {
                    let col = t.columns.get(c).map_or("?", String::as_str);
                    check_value(cell, &format!("{path} row {} › {col}", r + 1), out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_become_explicit_statements() {
        for lang in Lang::ALL {
            for v in [
                Value::text(lang, "  "),
                Value::long(lang, ""),
                Value::list(lang, vec![]),
                Value::record(lang, vec![]),
                Value::table(lang, vec!["A".into()], vec![]),
            ] {
                assert!(
                    matches!(v, Value::Unknown(ref s) if s.contains(" — ")),
                    "{v:?}"
                );
            }
        }
        assert_eq!(
            Value::not_applicable(Lang::Fr, "aucune demande antérieure"),
            Value::NotApplicable("Sans objet — aucune demande antérieure".into())
        );
        assert_eq!(
            Value::unknown(Lang::En, " "),
            Value::Unknown("Unknown — no reason was given".into())
        );
    }

    #[test]
    fn table_rows_are_completed_or_folded() {
        let t = Value::table(
            Lang::En,
            vec!["A".into(), "B".into()],
            vec![
                vec![Value::Text("1".into())],
                vec![
                    Value::Text("1".into()),
                    Value::Text("2".into()),
                    Value::Text("3".into()),
                ],
            ],
        );
        let Value::Table(t) = t else {
            panic!("not a table")
        };
        assert!(t.rows().iter().all(|r| r.len() == 2));
        assert!(matches!(t.rows()[0][1], Value::Unknown(_)));
        assert_eq!(
            t.rows()[1][1],
            Value::List(vec![Value::Text("2".into()), Value::Text("3".into())])
        );
    }

    #[test]
    fn empty_sections_are_filled_and_empty_slots_are_found() {
        let s = SectionView::new(Lang::En, 3, "Request status".into(), vec![]);
        assert_eq!(s.rows.len(), 1);
        let view = DocumentView {
            lang: Lang::En,
            title: "T".into(),
            basis: " ".into(),
            meta: vec![],
            sections: vec![
                s,
                SectionView {
                    number: 4,
                    heading: "H".into(),
                    rows: vec![Row::new("L", Value::List(vec![Value::Text(String::new())]))],
                },
            ],
            footer: "f".into(),
            running_head: "r".into(),
        };
        let slots: Vec<_> = view.empty_slots().into_iter().map(|s| s.path).collect();
        assert_eq!(slots, vec!["basis".to_owned(), "§4 › L[1]".to_owned()]);
    }
}
