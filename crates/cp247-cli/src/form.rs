//! `cp247 form`: request documents on the command line.
//!
//! | command | exit 0 | exit 1 | exit 2 |
//! |---|---|---|---|
//! | `example KIND [--format json\|xml]` | printed | — | — |
//! | `validate FILE [--lang en\|fr]` | valid (warnings printed) | well-formed but invalid: one line per problem | cannot be read, not well-formed, DTD or entity declaration, too large or too deep |
//! | `convert FILE --to json\|xml [-o OUT]` | converted | invalid (problems printed, nothing written) | as for `validate` |
//! | `schema --xsd \| --json-schema` | printed | — | — |
//! | `render FILE --lang en\|fr --format html\|pdf\|text -o OUT` | written to OUT | invalid (problems printed, nothing written) | as for `validate` |
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
use cp247_forms::{Document, FormsError, Kind, MAX_DOCUMENT_BYTES, Parsed, Report, examples};
use cp247_i18n::Lang;

/// `cp247 form …`
#[derive(Debug, Args)]
pub struct FormArgs {
    #[command(subcommand)]
    command: FormCommand,
}

#[derive(Debug, Subcommand)]
enum FormCommand {
    /// Print a complete, valid, realistic example document.
    Example {
        /// Which document.
        kind: KindArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Check a document (.json or .xml): exit 0 when valid (warnings are printed), 1 when
    /// invalid (every problem is printed), 2 when the file cannot be read as JSON or XML.
    Validate {
        /// The document.
        file: PathBuf,
        /// Language of the messages.
        #[arg(long, value_enum, default_value_t = LangArg::En)]
        lang: LangArg,
    },
    /// Convert a valid document between JSON and XML.
    Convert {
        /// The document (.json or .xml).
        file: PathBuf,
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
    /// Render a valid document (.json or .xml) for people, as HTML, PDF or plain text, in
    /// English or French, following the sections of its T-CY template.
    Render {
        /// The document (.json or .xml).
        file: PathBuf,
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
    /// Print the published schema of the documents.
    #[command(group(ArgGroup::new("which").required(true).args(["xsd", "json_schema"])))]
    Schema {
        /// The XML Schema (XSD 1.0).
        #[arg(long)]
        xsd: bool,
        /// The JSON Schema (draft 2020-12).
        #[arg(long)]
        json_schema: bool,
    },
}

/// A document kind, as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum KindArg {
    /// Art. 29 preservation request (with the Art. 30 ask).
    Art29,
    /// Art. 30 partial disclosure of traffic data.
    Art30,
    /// Art. 31 subscriber information request.
    Art31,
    /// Art. 35 technical or legal assistance request.
    Art35,
}

impl KindArg {
    fn kind(self) -> Kind {
        match self {
            KindArg::Art29 => Kind::Art29,
            KindArg::Art30 => Kind::Art30,
            KindArg::Art31 => Kind::Art31,
            KindArg::Art35 => Kind::Art35,
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
        FormCommand::Example { kind, format } => example(kind.kind(), format),
        FormCommand::Validate { file, lang } => validate(&file, lang.lang()),
        FormCommand::Convert {
            file,
            to,
            out,
            lang,
        } => convert(&file, to, out.as_deref(), lang.lang()),
        FormCommand::Schema { xsd, json_schema } => schema(xsd, json_schema),
        FormCommand::Render {
            file,
            lang,
            format,
            out,
        } => render(&file, lang.lang(), format, &out),
    }
}

fn example(kind: Kind, format: Format) -> anyhow::Result<ExitCode> {
    let doc = examples::example(kind)?;
    print!("{}", serialise(&doc, format));
    Ok(ExitCode::from(VALID))
}

fn serialise(doc: &Document, format: Format) -> String {
    match format {
        Format::Json => cp247_forms::to_json_string(doc),
        Format::Xml => cp247_forms::xml::to_xml_string(doc),
    }
}

/// Why FILE could not be read as a document (exit 2).
struct Unreadable(String);

/// Reads and decodes FILE, bounded by [`MAX_DOCUMENT_BYTES`].
fn read_document(file: &Path) -> Result<(Format, Parsed), Unreadable> {
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
    let parsed = match format {
        Format::Json => cp247_forms::parse_json(&bytes),
        Format::Xml => cp247_forms::xml::parse_xml(&bytes),
    };
    parsed
        .map(|p| (format, p))
        .map_err(|e| Unreadable(format!("{shown}: {}", describe(&e, format))))
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

fn summary(file: &Path, parsed: &Parsed) -> String {
    let errors = parsed.report.errors().count();
    let warnings = parsed.report.warnings().count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match &parsed.document {
        Some(doc) => format!(
            "{}: a valid {} document ({})",
            file.display(),
            doc.kind(),
            plural(warnings, "warning")
        ),
        None => format!(
            "{}: not a valid document ({}, {})",
            file.display(),
            plural(errors, "error"),
            plural(warnings, "warning")
        ),
    }
}

fn validate(file: &Path, lang: Lang) -> anyhow::Result<ExitCode> {
    let (_, parsed) = match read_document(file) {
        Ok(ok) => ok,
        Err(Unreadable(why)) => {
            eprintln!("cp247: {why}");
            return Ok(ExitCode::from(UNREADABLE));
        }
    };
    print_problems(&parsed.report, lang);
    eprintln!("cp247: {}", summary(file, &parsed));
    Ok(ExitCode::from(if parsed.document.is_some() {
        VALID
    } else {
        INVALID
    }))
}

fn convert(file: &Path, to: Format, out: Option<&Path>, lang: Lang) -> anyhow::Result<ExitCode> {
    let (_, parsed) = match read_document(file) {
        Ok(ok) => ok,
        Err(Unreadable(why)) => {
            eprintln!("cp247: {why}");
            return Ok(ExitCode::from(UNREADABLE));
        }
    };
    let Some(doc) = &parsed.document else {
        print_problems(&parsed.report, lang);
        eprintln!("cp247: {}; nothing was converted", summary(file, &parsed));
        return Ok(ExitCode::from(INVALID));
    };
    // Warnings do not stop a conversion; they go to standard error so the output stays clean.
    for p in parsed.report.warnings() {
        eprintln!("{}", p.line(lang));
    }
    let text = serialise(doc, to);
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

fn render(file: &Path, lang: Lang, format: RenderFormat, out: &Path) -> anyhow::Result<ExitCode> {
    let (_, parsed) = match read_document(file) {
        Ok(ok) => ok,
        Err(Unreadable(why)) => {
            eprintln!("cp247: {why}");
            return Ok(ExitCode::from(UNREADABLE));
        }
    };
    let Some(doc) = &parsed.document else {
        print_problems(&parsed.report, lang);
        eprintln!("cp247: {}; nothing was rendered", summary(file, &parsed));
        return Ok(ExitCode::from(INVALID));
    };
    for p in parsed.report.warnings() {
        eprintln!("{}", p.line(lang));
    }
    let bytes = match format {
        RenderFormat::Html => cp247_render::render_html(doc, lang).into_bytes(),
        RenderFormat::Text => cp247_render::render_text(doc, lang).into_bytes(),
        RenderFormat::Pdf => cp247_render::render_pdf(doc, lang)
            .with_context(|| format!("{}: the PDF could not be produced", file.display()))?,
    };
    write_atomically(out, &bytes)?;
    Ok(ExitCode::from(VALID))
}

fn schema(xsd: bool, json_schema: bool) -> anyhow::Result<ExitCode> {
    // clap's group makes exactly one of the two flags present.
    if xsd {
        print!("{}", cp247_forms::schemas::XSD);
    } else if json_schema {
        print!("{}", cp247_forms::schemas::JSON_SCHEMA);
    }
    Ok(ExitCode::from(VALID))
}
