//! `cp247 form`: request documents and replies on the command line.
//!
//! | command | exit 0 | exit 1 | exit 2 |
//! |---|---|---|---|
//! | `example KIND [--format json\|xml]` | printed | — | — |
//! | `validate FILE [--request REQ] [--lang en\|fr]` | valid (warnings printed) | well-formed but invalid: one line per problem | cannot be read, not well-formed, DTD or entity declaration, too large or too deep |
//! | `convert FILE --to json\|xml [-o OUT] [--request REQ]` | converted | invalid (problems printed, nothing written) | as for `validate` |
//! | `schema --xsd \| --json-schema [--replies]` | printed | — | — |
//! | `render FILE --lang en\|fr --format html\|pdf\|text -o OUT [--request REQ]` | written to OUT | invalid (problems printed, nothing written) | as for `validate` |
//!
//! KIND is a request document (`art29`, `art30`, `art31`, `art35`) or a reply, named by its
//! message type (`acknowledgement`, `refused`, `preservation_confirmed`, …: the
//! `cp247_case::MessageKind` wire names). A FILE is a request or a reply by its `kind` (JSON)
//! or root element (XML). A reply is checked against the request it answers when `--request`
//! names that request's file; without it, the rules that depend on the case (reply kinds and
//! refusal grounds per article, item numbers, the requested period) are not checked, and a
//! note says so.
//!
//! The format of FILE is told by its extension (`.json`, `.xml`). Problems are printed on
//! standard output as `CODE PATH: message`, in English unless `--lang fr`; a one-line summary
//! goes to standard error.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use cp247_domain::Clock;
use cp247_forms::reply::{self, ParsedReply, Reply, ReplyContext};
use cp247_forms::{
    Document, FormsError, Kind, MAX_DOCUMENT_BYTES, MessageKind, Node, Parsed, Report, examples,
};
use cp247_i18n::Lang;
use cp247_render::generic::{MessageHead, message_view};

/// `cp247 form …`
#[derive(Debug, Args)]
pub struct FormArgs {
    #[command(subcommand)]
    command: FormCommand,
}

#[derive(Debug, Subcommand)]
enum FormCommand {
    /// Print a complete, valid, realistic example document or reply.
    Example {
        /// Which document: art29, art30, art31, art35, or a reply by its message type
        /// (acknowledgement, refused, preservation_confirmed, …).
        #[arg(value_parser = parse_doc_kind)]
        kind: DocKind,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Check a document (.json or .xml): exit 0 when valid (warnings are printed), 1 when
    /// invalid (every problem is printed), 2 when the file cannot be read as JSON or XML.
    Validate {
        /// The document or reply.
        file: PathBuf,
        /// For a reply: the request it answers (.json or .xml), to check the rules that depend
        /// on the case.
        #[arg(long, value_name = "REQUEST")]
        request: Option<PathBuf>,
        /// Language of the messages.
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
    },
    /// Convert a valid document or reply between JSON and XML.
    Convert {
        /// The document or reply (.json or .xml).
        file: PathBuf,
        /// For a reply: the request it answers (.json or .xml), to check the rules that depend
        /// on the case.
        #[arg(long, value_name = "REQUEST")]
        request: Option<PathBuf>,
        /// Target format.
        #[arg(long, value_enum)]
        to: Format,
        /// Write here instead of standard output.
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Language of the messages.
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
    },
    /// Render a valid document or reply (.json or .xml) for people, as HTML, PDF or plain
    /// text, in English or French (a document follows the sections of its T-CY template).
    Render {
        /// The document or reply (.json or .xml).
        file: PathBuf,
        /// For a reply: the request it answers (.json or .xml), to check the rules that depend
        /// on the case.
        #[arg(long, value_name = "REQUEST")]
        request: Option<PathBuf>,
        /// Language of the rendered document (and of the messages).
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
        /// Output format.
        #[arg(long, value_enum)]
        format: RenderFormat,
        /// Where to write it (replaced whole, never left half written).
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Print the published schema of the documents (or, with --replies, of the replies).
    #[command(group(ArgGroup::new("which").required(true).args(["xsd", "json_schema"])))]
    Schema {
        /// The XML Schema (XSD 1.0).
        #[arg(long)]
        xsd: bool,
        /// The JSON Schema (draft 2020-12).
        #[arg(long)]
        json_schema: bool,
        /// The schema of replies instead of request documents.
        #[arg(long)]
        replies: bool,
    },
}

/// A document kind, as typed on the command line: a request document, or a reply named by
/// its message type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DocKind {
    /// art29, art30, art31, art35.
    Request(Kind),
    /// A reply (never a request message kind).
    Reply(MessageKind),
}

fn parse_doc_kind(text: &str) -> Result<DocKind, String> {
    if let Ok(kind) = text.parse::<Kind>() {
        return Ok(DocKind::Request(kind));
    }
    match MessageKind::from_name(text) {
        Some(k) if !k.is_request() => Ok(DocKind::Reply(k)),
        _ => {
            let replies: Vec<&str> = MessageKind::ALL
                .iter()
                .filter(|k| !k.is_request())
                .map(|k| k.name())
                .collect();
            Err(format!(
                "not a document kind: use art29, art30, art31, art35, or a reply: {}",
                replies.join(", ")
            ))
        }
    }
}

/// A document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// JSON.
    Json,
    /// XML.
    Xml,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Xml => "XML",
        }
    }
}

/// A format for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RenderFormat {
    /// A standalone HTML page (no script, nothing loaded from elsewhere).
    Html,
    /// A PDF/A-2b file with its fonts embedded.
    Pdf,
    /// Plain text (UTF-8).
    Text,
}

/// A message language.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    /// English.
    En,
    /// French.
    Fr,
}

impl LangArg {
    fn lang(self) -> Lang {
        match self {
            LangArg::En => Lang::En,
            LangArg::Fr => Lang::Fr,
        }
    }
}

/// Exit code: the document is valid.
const VALID: u8 = 0;
/// Exit code: the document is well-formed but invalid.
const INVALID: u8 = 1;
/// Exit code: the file cannot be read as a document.
const UNREADABLE: u8 = 2;

/// Runs `cp247 form …`.
pub fn run(args: FormArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        FormCommand::Example { kind, format } => example(kind, format),
        FormCommand::Validate {
            file,
            request,
            lang,
        } => validate(&file, request.as_deref(), lang.lang()),
        FormCommand::Convert {
            file,
            request,
            to,
            out,
            lang,
        } => convert(&file, request.as_deref(), to, out.as_deref(), lang.lang()),
        FormCommand::Schema {
            xsd,
            json_schema,
            replies,
        } => schema(xsd, json_schema, replies),
        FormCommand::Render {
            file,
            request,
            lang,
            format,
            out,
        } => render(&file, request.as_deref(), lang.lang(), format, &out),
    }
}

fn example(kind: DocKind, format: Format) -> anyhow::Result<ExitCode> {
    let text = match kind {
        DocKind::Request(kind) => serialise(&Valid::Request(examples::example(kind)?), format),
        DocKind::Reply(kind) => {
            let parsed = reply::examples::example(kind)?;
            let reply = parsed
                .reply
                .with_context(|| format!("the built-in {kind} example is not valid"))?;
            serialise(&Valid::Reply(reply), format)
        }
    };
    print!("{text}");
    Ok(ExitCode::from(VALID))
}

/// A valid document or reply.
// A request document is about 1.5 KB; one value per command.
#[allow(clippy::large_enum_variant)]
enum Valid {
    Request(Document),
    Reply(Reply),
}

fn serialise(valid: &Valid, format: Format) -> String {
    match (valid, format) {
        (Valid::Request(doc), Format::Json) => cp247_forms::to_json_string(doc),
        (Valid::Request(doc), Format::Xml) => cp247_forms::xml::to_xml_string(doc),
        (Valid::Reply(r), Format::Json) => reply::to_json_string(r),
        (Valid::Reply(r), Format::Xml) => cp247_forms::xml::reply_to_xml_string(r),
    }
}

/// What was read: a request document, or a reply (checked with or without its case).
#[allow(clippy::large_enum_variant)] // one value per command
enum Readout {
    Request(Parsed),
    Reply {
        parsed: ParsedReply,
        with_case: bool,
    },
}

impl Readout {
    fn report(&self) -> &Report {
        match self {
            Readout::Request(p) => &p.report,
            Readout::Reply { parsed, .. } => &parsed.report,
        }
    }

    fn valid(&self) -> Option<Valid> {
        match self {
            Readout::Request(p) => p.document.clone().map(Valid::Request),
            Readout::Reply { parsed, .. } => parsed.reply.clone().map(Valid::Reply),
        }
    }

    /// Says on standard error which rules a reply read without its case skipped.
    fn note(&self) {
        if let Readout::Reply {
            with_case: false, ..
        } = self
        {
            eprintln!(
                "cp247: note: this reply was checked without its case: the rules that depend on the request it answers (reply kinds and refusal grounds per article, item numbers, the requested period) were not checked; give --request REQUEST to check them"
            );
        }
    }
}

/// Why FILE could not be read as a document (exit 2).
struct Unreadable(String);

/// Reads FILE as a neutral tree, bounded by [`MAX_DOCUMENT_BYTES`].
fn read_node(file: &Path) -> Result<(Format, Node), Unreadable> {
    let shown = file.display();
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let format = match extension.as_deref() {
        Some("json") => Format::Json,
        Some("xml") => Format::Xml,
        _ => {
            return Err(Unreadable(format!(
                "{shown}: cannot tell the format: the file name must end in .json or .xml"
            )));
        }
    };
    let bytes = read_bounded(file).map_err(|e| Unreadable(format!("{shown}: {e}")))?;
    let node = match format {
        Format::Json => Node::from_json(&bytes),
        Format::Xml => {
            cp247_forms::xml::to_node(&bytes).map_err(|e| cp247_forms::xml::forms_error(&e))
        }
    };
    node.map(|n| (format, n))
        .map_err(|e| Unreadable(format!("{shown}: {}", describe(&e, format))))
}

/// The reply kind a tree names, if it names one (JSON `kind`, XML root element).
fn reply_kind(node: &Node) -> Option<MessageKind> {
    match node.get("kind") {
        Some(Node::String(k) | Node::Text(k)) => {
            MessageKind::from_name(k.trim()).filter(|k| !k.is_request())
        }
        _ => None,
    }
}

/// Reads and decodes FILE: a request document, or a reply (against the request in REQUEST
/// when given).
fn read_document(file: &Path, request: Option<&Path>) -> Result<(Format, Readout), Unreadable> {
    let (format, node) = read_node(file)?;
    if reply_kind(&node).is_none() {
        if request.is_some() {
            eprintln!(
                "cp247: note: --request is for replies; {} is not one",
                file.display()
            );
        }
        return Ok((format, Readout::Request(cp247_forms::decode(&node))));
    }
    let Some(request) = request else {
        let parsed = reply::decode_reply_without_case(&node);
        return Ok((
            format,
            Readout::Reply {
                parsed,
                with_case: false,
            },
        ));
    };
    let ctx = request_context(request)?;
    Ok((
        format,
        Readout::Reply {
            parsed: reply::decode_reply(&node, &ctx),
            with_case: true,
        },
    ))
}

/// The context of replies to the request document in FILE, which must be valid.
fn request_context(file: &Path) -> Result<ReplyContext, Unreadable> {
    let shown = file.display();
    let (_, node) = read_node(file)?;
    let parsed = cp247_forms::decode(&node);
    let Some(doc) = parsed.document else {
        return Err(Unreadable(format!(
            "{shown}: the request is not a valid document ({} errors; run cp247 form validate on it)",
            parsed.report.errors().count()
        )));
    };
    ReplyContext::for_request(&doc).ok_or_else(|| {
        Unreadable(format!(
            "{shown}: a {} document is not a request a reply can answer (use the Art. 29, 31 or 35 request)",
            doc.kind()
        ))
    })
}

fn describe(e: &FormsError, format: Format) -> String {
    match e {
        FormsError::Malformed { .. } => e.to_string(),
        FormsError::TooLarge { .. } | FormsError::TooDeep { .. } => {
            format!("cannot be read as {}: {e}", format.name())
        }
    }
}

/// Reads at most one byte more than the limit, so a huge file is refused without reading it.
fn read_bounded(file: &Path) -> Result<Vec<u8>, String> {
    let f = File::open(file).map_err(|e| format!("cannot be read: {e}"))?;
    let limit = MAX_DOCUMENT_BYTES as u64;
    if let Ok(meta) = f.metadata()
        && meta.is_file()
        && meta.len() > limit
    {
        return Err(FormsError::TooLarge {
            size: usize::try_from(meta.len()).unwrap_or(usize::MAX),
            max: MAX_DOCUMENT_BYTES,
        }
        .to_string());
    }
    let mut bytes = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "the document is longer than the limit of {MAX_DOCUMENT_BYTES} bytes"
        ));
    }
    Ok(bytes)
}

/// Prints every problem on standard output, one line each.
fn print_problems(report: &Report, lang: Lang) {
    for p in report.problems() {
        println!("{}", p.line(lang));
    }
}

fn summary(file: &Path, read: &Readout) -> String {
    let report = read.report();
    let errors = report.errors().count();
    let warnings = report.warnings().count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match read.valid() {
        Some(Valid::Request(doc)) => format!(
            "{}: a valid {} document ({})",
            file.display(),
            doc.kind(),
            plural(warnings, "warning")
        ),
        Some(Valid::Reply(r)) => format!(
            "{}: a valid {} reply ({})",
            file.display(),
            r.kind(),
            plural(warnings, "warning")
        ),
        None => format!(
            "{}: not a valid {} ({}, {})",
            file.display(),
            match read {
                Readout::Request(_) => "document",
                Readout::Reply { .. } => "reply",
            },
            plural(errors, "error"),
            plural(warnings, "warning")
        ),
    }
}

fn validate(file: &Path, request: Option<&Path>, lang: Lang) -> anyhow::Result<ExitCode> {
    let (_, read) = match read_document(file, request) {
        Ok(ok) => ok,
        Err(Unreadable(why)) => {
            eprintln!("cp247: {why}");
            return Ok(ExitCode::from(UNREADABLE));
        }
    };
    print_problems(read.report(), lang);
    read.note();
    eprintln!("cp247: {}", summary(file, &read));
    Ok(ExitCode::from(if read.valid().is_some() {
        VALID
    } else {
        INVALID
    }))
}

fn convert(
    file: &Path,
    request: Option<&Path>,
    to: Format,
    out: Option<&Path>,
    lang: Lang,
) -> anyhow::Result<ExitCode> {
    let (_, read) = match read_document(file, request) {
        Ok(ok) => ok,
        Err(Unreadable(why)) => {
            eprintln!("cp247: {why}");
            return Ok(ExitCode::from(UNREADABLE));
        }
    };
    let Some(valid) = read.valid() else {
        print_problems(read.report(), lang);
        read.note();
        eprintln!("cp247: {}; nothing was converted", summary(file, &read));
        return Ok(ExitCode::from(INVALID));
    };
    // Warnings do not stop a conversion; they go to standard error so the output stays clean.
    for p in read.report().warnings() {
        eprintln!("{}", p.line(lang));
    }
    read.note();
    let text = serialise(&valid, to);
    match out {
        None => print!("{text}"),
        Some(path) => write_atomically(path, text.as_bytes())?,
    }
    Ok(ExitCode::from(VALID))
}

/// Writes `bytes` to a temporary file next to `path`, then renames it: OUT is either the old
/// file or the whole new one, never half written.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".cp247-tmp");
    let tmp = path.with_file_name(tmp_name);
    let result = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: the temporary file may not exist.
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

fn render(
    file: &Path,
    request: Option<&Path>,
    lang: Lang,
    format: RenderFormat,
    out: &Path,
) -> anyhow::Result<ExitCode> {
    let (_, read) = match read_document(file, request) {
        Ok(ok) => ok,
        Err(Unreadable(why)) => {
            eprintln!("cp247: {why}");
            return Ok(ExitCode::from(UNREADABLE));
        }
    };
    let Some(valid) = read.valid() else {
        print_problems(read.report(), lang);
        read.note();
        eprintln!("cp247: {}; nothing was rendered", summary(file, &read));
        return Ok(ExitCode::from(INVALID));
    };
    for p in read.report().warnings() {
        eprintln!("{}", p.line(lang));
    }
    read.note();
    let failed = || format!("{}: the PDF could not be produced", file.display());
    let bytes = match &valid {
        Valid::Request(doc) => match format {
            RenderFormat::Html => cp247_render::render_html(doc, lang).into_bytes(),
            RenderFormat::Text => cp247_render::render_text(doc, lang).into_bytes(),
            RenderFormat::Pdf => cp247_render::render_pdf(doc, lang).with_context(failed)?,
        },
        Valid::Reply(r) => {
            // The renderer's generic message view, as the node's web pages print replies.
            let title = r.kind().label(lang);
            let head = MessageHead {
                title: title.clone(),
                meta: Vec::new(),
                running_head: title,
            };
            let view = message_view(head, &reply::encode_reply(r), lang);
            match format {
                RenderFormat::Html => cp247_render::html::page(&view).into_bytes(),
                RenderFormat::Text => cp247_render::text::layout(&view).into_bytes(),
                RenderFormat::Pdf => {
                    cp247_render::render_view_pdf(&view, reply_date(r)).with_context(failed)?
                }
            }
        }
    };
    write_atomically(out, &bytes)?;
    Ok(ExitCode::from(VALID))
}

/// The date a reply's PDF records: that of the first instant or date it holds, so the same
/// reply gives the same bytes; a reply that holds none (a refusal, a withdrawal, …) takes
/// today's date in UTC.
fn reply_date(r: &Reply) -> jiff::civil::Date {
    fn first(node: &Node) -> Option<jiff::civil::Date> {
        match node {
            Node::String(s) | Node::Text(s) => {
                if let Ok(i) = cp247_domain::Instant::parse(s) {
                    return Some(
                        i.timestamp()
                            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                            .date(),
                    );
                }
                s.parse::<jiff::civil::Date>()
                    .ok()
                    .filter(|_| s.len() == 10)
            }
            Node::Object(entries) => entries.iter().find_map(|(_, v)| first(v)),
            Node::Array(items) => items.iter().find_map(first),
            Node::Bool(_) | Node::Number(_) | Node::Null => None,
        }
    }
    first(&reply::encode_reply(r)).unwrap_or_else(|| {
        cp247_domain::SystemClock
            .now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
    })
}

fn schema(xsd: bool, json_schema: bool, replies: bool) -> anyhow::Result<ExitCode> {
    use cp247_forms::schemas::{JSON_SCHEMA, REPLY_JSON_SCHEMA, REPLY_XSD, XSD};
    // clap's group makes exactly one of the two flags present.
    let text = match (xsd, json_schema, replies) {
        (true, _, false) => XSD,
        (true, _, true) => REPLY_XSD,
        (false, true, false) => JSON_SCHEMA,
        (false, true, true) => REPLY_JSON_SCHEMA,
        (false, false, _) => "",
    };
    print!("{text}");
    Ok(ExitCode::from(VALID))
}
