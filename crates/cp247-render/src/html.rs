//! The HTML layout of a view.
//!
//! Every string of the view is untrusted (it comes from another country's node) and is escaped
//! before it is written; hidden characters are made visible first ([`crate::visible`]). The page
//! has no script and loads nothing: its one stylesheet, [`STYLESHEET`], is class-based and
//! embedded in a `<style>` element that the page's own Content-Security-Policy allows by hash,
//! so `default-src 'none'` holds for everything else. A web UI that serves the stylesheet as a
//! file can embed [`fragment`] instead of the whole page.

use std::fmt::Write as _;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::view::{DocumentView, Row, Value};
use crate::visible::visible;

/// The stylesheet of rendered documents (classes `cp247-*`), screen and print.
pub const STYLESHEET: &str = include_str!("document.css");

/// The Content-Security-Policy of a standalone page: nothing may load, only [`STYLESHEET`] may
/// style it, nothing may frame it, and no form may post from it.
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLESHEET));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; base-uri 'none'; \
         form-action 'none'"
    )
}

/// A complete HTML5 page for `view`.
pub fn page(view: &DocumentView) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str("<!DOCTYPE html>\n");
    let _ = writeln!(out, "<html lang=\"{}\">", view.lang.code());
    out.push_str("<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        escape(&content_security_policy())
    );
    out.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&view.title));
    out.push_str("<style>");
    out.push_str(STYLESHEET);
    out.push_str("</style>\n</head>\n<body>\n");
    out.push_str(&fragment(view));
    out.push_str("</body>\n</html>\n");
    out
}

/// The document as one `<article class="cp247-doc">` element, for embedding in a page that
/// provides [`STYLESHEET`].
pub fn fragment(view: &DocumentView) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = writeln!(
        out,
        "<article class=\"cp247-doc\" lang=\"{}\">",
        view.lang.code()
    );
    out.push_str("<header class=\"cp247-head\">\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape(&view.title));
    let _ = writeln!(out, "<p class=\"cp247-basis\">{}</p>", escape(&view.basis));
    if !view.meta.is_empty() {
        out.push_str("<table class=\"cp247-rows cp247-meta\">\n");
        for row in &view.meta {
            write_row(&mut out, row);
        }
        out.push_str("</table>\n");
    }
    out.push_str("</header>\n");
    for section in &view.sections {
        let _ = writeln!(
            out,
            "<section class=\"cp247-section\" id=\"s{n}\">\n<h2><span class=\"cp247-num\">{n}.</span> {}</h2>",
            escape(&section.heading),
            n = section.number,
        );
        out.push_str("<table class=\"cp247-rows\">\n");
        for row in &section.rows {
            write_row(&mut out, row);
        }
        out.push_str("</table>\n</section>\n");
    }
    let _ = writeln!(
        out,
        "<footer class=\"cp247-foot\">{}</footer>",
        escape(&view.footer)
    );
    out.push_str("</article>\n");
    out
}

fn write_row(out: &mut String, row: &Row) {
    let _ = write!(out, "<tr><th scope=\"row\">{}</th><td>", escape(&row.label));
    write_value(out, &row.value);
    out.push_str("</td></tr>\n");
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Text(s) => {
            let _ = write!(out, "<span class=\"cp247-text\">{}</span>", escape(s));
        }
        Value::Long(s) => {
            let _ = write!(out, "<div class=\"cp247-long\">{}</div>", escape(s));
        }
        Value::NotApplicable(s) => {
            let _ = write!(out, "<span class=\"cp247-na\">{}</span>", escape(s));
        }
        Value::Unknown(s) => {
            let _ = write!(out, "<span class=\"cp247-unknown\">{}</span>", escape(s));
        }
        Value::List(items) => {
            out.push_str("<ul class=\"cp247-list\">");
            for item in items {
                out.push_str("<li>");
                write_value(out, item);
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        Value::Record(rows) => {
            out.push_str("<table class=\"cp247-rows cp247-record\">\n");
            for row in rows {
                write_row(out, row);
            }
            out.push_str("</table>");
        }
        Value::Table(table) => {
            out.push_str("<table class=\"cp247-grid\"><thead><tr>");
            for c in table.columns() {
                let _ = write!(out, "<th scope=\"col\">{}</th>", escape(c));
            }
            out.push_str("</tr></thead><tbody>\n");
            for cells in table.rows() {
                out.push_str("<tr>");
                for cell in cells {
                    out.push_str("<td>");
                    write_value(out, cell);
                    out.push_str("</td>");
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>");
        }
    }
}

/// `s` made visible ([`visible`]) and escaped for HTML text and double- or single-quoted
/// attribute values.
pub fn escape(s: &str) -> String {
    let s = visible(s);
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::SectionView;
    use cp247_i18n::Lang;

    fn view_with(value: &str) -> DocumentView {
        let lang = Lang::Fr;
        DocumentView {
            lang,
            title: format!("Titre {value}"),
            basis: value.into(),
            meta: vec![Row::new(value, Value::Text(value.into()))],
            sections: vec![SectionView::new(
                lang,
                1,
                value.into(),
                vec![
                    Row::new(value, Value::Long(value.into())),
                    Row::new(
                        "t",
                        Value::table(
                            lang,
                            vec![value.into()],
                            vec![vec![Value::List(vec![Value::Text(value.into())])]],
                        ),
                    ),
                ],
            )],
            footer: value.into(),
            running_head: value.into(),
        }
    }

    #[test]
    fn escapes_every_string() {
        let evil = "<script>alert('x')</script>\"><img src=x onerror=1>&amp;";
        let html = page(&view_with(evil));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("&amp;amp;"));
        // The only elements are ours.
        for tag in html.split('<').skip(1) {
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
                .collect();
            assert!(
                [
                    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "article",
                    "header", "h1", "h2", "p", "table", "thead", "tbody", "tr", "th", "td", "span",
                    "div", "ul", "li", "section", "footer"
                ]
                .contains(&name.as_str()),
                "unexpected element {name}"
            );
        }
    }

    #[test]
    fn page_is_self_contained_and_allows_only_its_stylesheet() {
        let html = page(&view_with("Données « conservées » œ"));
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"));
        assert!(html.contains("Données « conservées » œ"));
        assert!(html.contains("default-src &#39;none&#39;"));
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script"));
        // The policy allows exactly the stylesheet the page carries.
        let style = html
            .split_once("<style>")
            .and_then(|(_, rest)| rest.split_once("</style>"))
            .map(|(css, _)| css)
            .unwrap();
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style));
        let csp = content_security_policy();
        assert!(csp.contains(&format!("style-src 'sha256-{hash}'")), "{csp}");
        assert!(html.contains(&escape(&csp)));
    }

    #[test]
    fn hidden_characters_are_shown() {
        let html = page(&view_with("abc\u{202E}def"));
        assert!(html.contains("abc⟨U+202E⟩def"));
        assert!(!html.contains('\u{202E}'));
    }
}
