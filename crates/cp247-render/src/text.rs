//! The plain-text layout of a view: what the snapshot tests pin, and what a terminal shows.
//!
//! Layout rules: the title, underlined; the basis line; the identifying lines; then each section as
//! `N. Heading` followed by its rows indented by four spaces. A one-line value prints as
//! `Label: value`; anything longer prints as `Label:` with the value indented two more spaces
//! below it. List items start with `- `; a table prints one item per row, each cell labelled with
//! its column. Text is never wrapped or cut: long lines stay as recorded.

use cp247_i18n::Lang;

use crate::view::{DocumentView, Row, Value};
use crate::visible::visible;

/// What separates a label from the value on its line: typography, not wording, so it is not in
/// the catalogue. French puts a (no-break) space before the colon.
pub fn label_separator(lang: Lang) -> &'static str {
    match lang {
        Lang::En => ": ",
        Lang::Fr => "\u{a0}: ",
    }
}

/// Lays `view` out as plain text (UTF-8, LF line ends, ending with a newline).
pub fn layout(view: &DocumentView) -> String {
    let mut out = String::new();
    let title = visible(&view.title);
    out.push_str(&title);
    out.push('\n');
    out.push_str(&"=".repeat(title.chars().count()));
    out.push('\n');
    out.push_str(&visible(&view.basis));
    out.push_str("\n\n");
    let sep = label_separator(view.lang);
    for row in &view.meta {
        write_row(&mut out, sep, 0, row);
    }
    for section in &view.sections {
        out.push('\n');
        out.push_str(&format!(
            "{}. {}\n",
            section.number,
            visible(&section.heading)
        ));
        for row in &section.rows {
            write_row(&mut out, sep, 4, row);
        }
    }
    out.push_str("\n-- \n");
    out.push_str(&visible(&view.footer));
    out.push('\n');
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// The value as one line, when it fits on one.
fn one_line(value: &Value) -> Option<String> {
    match value {
        Value::Text(s) | Value::NotApplicable(s) | Value::Unknown(s) => {
            let s = visible(s);
            (!s.contains('\n')).then(|| s.into_owned())
        }
        Value::Long(_) | Value::List(_) | Value::Record(_) | Value::Table(_) => None,
    }
}

fn write_row(out: &mut String, sep: &str, indent: usize, row: &Row) {
    pad(out, indent);
    out.push_str(&visible(&row.label));
    match one_line(&row.value) {
        Some(line) => {
            out.push_str(sep);
            out.push_str(&line);
            out.push('\n');
        }
        None => {
            out.push_str(sep.trim_end());
            out.push('\n');
            write_block(out, sep, indent + 2, &row.value);
        }
    }
}

/// Writes `value` as lines that all start at `indent`.
fn write_block(out: &mut String, sep: &str, indent: usize, value: &Value) {
    match value {
        Value::Text(s) | Value::Long(s) | Value::NotApplicable(s) | Value::Unknown(s) => {
            for line in visible(s).split('\n') {
                if !line.is_empty() {
                    pad(out, indent);
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        Value::List(items) => {
            for item in items {
                write_item(out, sep, indent, item);
            }
        }
        Value::Record(rows) => {
            for row in rows {
                write_row(out, sep, indent, row);
            }
        }
        Value::Table(table) => {
            for cells in table.rows() {
                let rows: Vec<Row> = table
                    .columns()
                    .iter()
                    .zip(cells)
                    .map(|(c, v)| Row::new(c.clone(), v.clone()))
                    .collect();
                write_item(out, sep, indent, &Value::Record(rows));
            }
        }
    }
}

/// Writes a list item: the value as a block two spaces in, with `- ` on its first line.
fn write_item(out: &mut String, sep: &str, indent: usize, value: &Value) {
    let mut block = String::new();
    write_block(&mut block, sep, indent + 2, value);
    let mut first = true;
    for line in block.split_inclusive('\n') {
        if first {
            first = false;
            pad(out, indent);
            out.push_str("- ");
            out.push_str(line.get(indent + 2..).unwrap_or_else(|| line.trim_start()));
        } else {
            out.push_str(line);
        }
    }
    if first {
        // An item always prints something, even if its block came out empty.
        pad(out, indent);
        out.push_str("-\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::SectionView;
    use cp247_i18n::Lang;

    #[test]
    fn lays_out_rows_lists_records_and_tables() {
        let lang = Lang::En;
        let view = DocumentView {
            lang,
            title: "Title".into(),
            basis: "Basis".into(),
            meta: vec![Row::new("Ticket", Value::Text("FR-1".into()))],
            sections: vec![SectionView::new(
                lang,
                1,
                "Heading".into(),
                vec![
                    Row::new("Name", Value::Text("Jeanne\u{202E}Dupont".into())),
                    Row::new("Facts", Value::Long("line 1\n\nline 3".into())),
                    Row::new(
                        "Items",
                        Value::List(vec![
                            Value::Text("a".into()),
                            Value::Record(vec![
                                Row::new("X", Value::Text("1".into())),
                                Row::new("Y", Value::Text("2".into())),
                            ]),
                        ]),
                    ),
                    Row::new(
                        "Grid",
                        Value::table(
                            lang,
                            vec!["C1".into(), "C2".into()],
                            vec![vec![Value::Text("a".into()), Value::Text("b".into())]],
                        ),
                    ),
                ],
            )],
            footer: "Foot".into(),
            running_head: "Head".into(),
        };
        let expected = "Title\n=====\nBasis\n\nTicket: FR-1\n\n1. Heading\n    \
             Name: Jeanne⟨U+202E⟩Dupont\n    Facts:\n      line 1\n\n      line 3\n    \
             Items:\n      - a\n      - X: 1\n        Y: 2\n    Grid:\n      - C1: a\n        \
             C2: b\n\n-- \nFoot\n";
        assert_eq!(layout(&view), expected);
    }
}
