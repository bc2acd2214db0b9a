//! The safe, bounded XML reader: bytes → a small element tree, or a typed [`XmlError`] that says
//! what is wrong and where.
//!
//! cp247 documents use a deliberately small subset of XML 1.0, and everything outside it is
//! refused before any work proportional to an attacker's cleverness is done:
//!
//! - **No DTD at all.** A `<!DOCTYPE …>` is refused the moment it is seen, so there are no entity
//!   declarations, no external entities (XXE) and no entity expansion (billion laughs).
//! - **Only the five predefined entities** (`&lt; &gt; &amp; &apos; &quot;`) and numeric
//!   character references that name an XML character; any other `&name;` is refused.
//! - **No processing instruction** other than the XML declaration, which may only say version 1.0
//!   and encoding UTF-8.
//! - **UTF-8 only**, checked over the whole input first (a UTF-8 byte-order mark is accepted).
//! - **One namespace**, [`NAMESPACE`]: every element is in it, attributes carry no prefix.
//! - **Bounded**: total size, nesting depth, element count, attributes per element, text per
//!   element and name length all have limits ([`Limits`]). The size is checked before parsing;
//!   the other limits stop the parser at the first element past them, so a flood costs no more
//!   than reading up to the limit.
//! - **No recursion**: the tree is built with an explicit stack bounded by the depth limit.
//!
//! Elements hold either child elements or text (no mixed content); comments are ignored;
//! CDATA sections are text. Text and attribute values are normalised as XML 1.0 requires (line
//! ends become `\n`; in attribute values, literal tabs and line ends become spaces), so what this
//! reader returns is what any conforming parser, `xmllint` included, would see.

use std::fmt;

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// The one XML namespace of cp247 documents.
pub const NAMESPACE: &str = "urn:cp247:forms:1";

/// Limits that bound the work done on one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting (the root element is at depth 1).
    pub max_depth: usize,
    /// Most elements in one document.
    pub max_elements: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Longest text of one element or attribute value, in bytes after decoding.
    pub max_text_bytes: usize,
    /// Longest element or attribute name, in bytes.
    pub max_name_bytes: usize,
}

impl Default for Limits {
    /// 1 MiB, depth 32, 20 000 elements, 16 attributes, 128 KiB of text, names of 64 bytes.
    fn default() -> Self {
        Self {
            max_bytes: 1024 * 1024,
            max_depth: 32,
            max_elements: 20_000,
            max_attributes: 16,
            max_text_bytes: 128 * 1024,
            max_name_bytes: 64,
        }
    }
}

/// Where in the input something is: 1-based line and column (in characters) and the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in Unicode scalar values.
    pub column: usize,
    /// 0-based byte offset from the start of the input.
    pub offset: usize,
}

impl Position {
    /// The position of byte `offset` in `input`. Costs one pass over the input up to `offset`.
    pub fn locate(input: &[u8], offset: usize) -> Self {
        Locator::new(input).locate(offset)
    }
}

/// Turns byte offsets into positions. Offsets asked in increasing order cost, all together, one
/// pass over the input; an offset before the last one asked starts again from the beginning.
#[derive(Debug)]
struct Locator<'a> {
    input: &'a [u8],
    last: std::cell::Cell<Position>,
}

impl<'a> Locator<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            last: std::cell::Cell::new(Position {
                line: 1,
                column: 1,
                offset: 0,
            }),
        }
    }

    fn locate(&self, offset: usize) -> Position {
        let offset = offset.min(self.input.len());
        let mut p = self.last.get();
        if offset < p.offset {
            p = Position {
                line: 1,
                column: 1,
                offset: 0,
            };
        }
        for b in self.input.get(p.offset..offset).unwrap_or_default() {
            if *b == b'\n' {
                p.line += 1;
                p.column = 1;
            } else if (*b & 0xC0) != 0x80 {
                // Count characters, not bytes: UTF-8 continuation bytes do not move the column.
                p.column += 1;
            }
        }
        p.offset = offset;
        self.last.set(p);
        p
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {})",
            self.line, self.column, self.offset
        )
    }
}

/// Why bytes are not a readable cp247 XML document. Every variant says what is wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// The input is larger than [`Limits::max_bytes`].
    #[error("the XML document is {size} bytes long; cp247 reads at most {limit} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The input is not UTF-8.
    #[error("{at}: the XML document is not UTF-8 there; cp247 reads UTF-8 only")]
    NotUtf8 {
        /// Where the first byte that is not UTF-8 is.
        at: Position,
    },
    /// The XML declaration names an encoding other than UTF-8, or a version other than 1.0.
    #[error("{at}: the XML declaration {detail}; cp247 reads XML 1.0 in UTF-8 only")]
    Declaration {
        /// What is wrong with it.
        detail: String,
        /// Where.
        at: Position,
    },
    /// A document type declaration (DTD), which could declare entities or fetch external files.
    #[error(
        "{at}: the document contains a DOCTYPE (DTD); cp247 refuses DTDs, entity declarations and external entities"
    )]
    Doctype {
        /// Where.
        at: Position,
    },
    /// An `<!ENTITY …>` or other markup declaration outside a DTD.
    #[error(
        "{at}: the document contains a markup declaration ('{start}'); cp247 refuses DTDs and entity declarations"
    )]
    MarkupDeclaration {
        /// The first characters of the declaration.
        start: String,
        /// Where.
        at: Position,
    },
    /// A reference to an entity other than the five predefined ones.
    #[error(
        "{at}: the entity reference '&{name};' is not allowed: only &lt; &gt; &amp; &apos; &quot; and numeric character references are"
    )]
    UnknownEntity {
        /// The entity name (truncated).
        name: String,
        /// Where.
        at: Position,
    },
    /// A numeric character reference that does not name an XML character.
    #[error(
        "{at}: the character reference '&{reference};' does not name a character allowed in XML"
    )]
    BadCharReference {
        /// The reference text (truncated).
        reference: String,
        /// Where.
        at: Position,
    },
    /// A character that XML 1.0 does not allow (e.g. a control character).
    #[error("{at}: the character U+{code:04X} is not allowed in an XML document")]
    BadCharacter {
        /// The code point.
        code: u32,
        /// Where.
        at: Position,
    },
    /// A processing instruction other than the XML declaration.
    #[error("{at}: the processing instruction '<?{target}' is not allowed in a cp247 document")]
    ProcessingInstruction {
        /// Its target (truncated).
        target: String,
        /// Where.
        at: Position,
    },
    /// Not well-formed XML.
    #[error("{at}: the document is not well-formed XML: {detail}")]
    Malformed {
        /// What the parser found.
        detail: String,
        /// Where.
        at: Position,
    },
    /// A name that is not an ASCII XML name or is too long.
    #[error(
        "{at}: '{name}' is not an accepted name (ASCII letters, digits, '_', '-', '.', at most {limit} bytes)"
    )]
    BadName {
        /// The name (truncated).
        name: String,
        /// The length limit.
        limit: usize,
        /// Where.
        at: Position,
    },
    /// An element outside the cp247 namespace, or a namespace declaration for another one.
    #[error("{at}: {detail}; cp247 documents use the single namespace {NAMESPACE}")]
    Namespace {
        /// What is wrong.
        detail: String,
        /// Where.
        at: Position,
    },
    /// The same attribute twice on one element.
    #[error("{at}: the attribute '{name}' appears twice on the same element")]
    DuplicateAttribute {
        /// The attribute.
        name: String,
        /// Where.
        at: Position,
    },
    /// Text next to child elements.
    #[error("{at}: text is not allowed inside <{element}>, which holds child elements")]
    MixedContent {
        /// The element holding both.
        element: String,
        /// Where the text is.
        at: Position,
    },
    /// Nesting deeper than [`Limits::max_depth`].
    #[error("{at}: the elements are nested more than {limit} levels deep")]
    TooDeep {
        /// The limit.
        limit: usize,
        /// Where.
        at: Position,
    },
    /// More elements than [`Limits::max_elements`].
    #[error("{at}: the document has more than {limit} elements")]
    TooManyElements {
        /// The limit.
        limit: usize,
        /// Where.
        at: Position,
    },
    /// More attributes on one element than [`Limits::max_attributes`].
    #[error("{at}: the element has more than {limit} attributes")]
    TooManyAttributes {
        /// The limit.
        limit: usize,
        /// Where.
        at: Position,
    },
    /// A text or attribute value longer than [`Limits::max_text_bytes`].
    #[error("{at}: a text is longer than {limit} bytes")]
    TextTooLong {
        /// The limit.
        limit: usize,
        /// Where.
        at: Position,
    },
    /// No root element, or something after it.
    #[error("{at}: {detail}")]
    Structure {
        /// What is wrong.
        detail: String,
        /// Where.
        at: Position,
    },
}

impl XmlError {
    /// Where the problem is, when it has a place in the input.
    pub fn position(&self) -> Option<Position> {
        match self {
            XmlError::TooLarge { .. } => None,
            XmlError::NotUtf8 { at }
            | XmlError::Declaration { at, .. }
            | XmlError::Doctype { at }
            | XmlError::MarkupDeclaration { at, .. }
            | XmlError::UnknownEntity { at, .. }
            | XmlError::BadCharReference { at, .. }
            | XmlError::BadCharacter { at, .. }
            | XmlError::ProcessingInstruction { at, .. }
            | XmlError::Malformed { at, .. }
            | XmlError::BadName { at, .. }
            | XmlError::Namespace { at, .. }
            | XmlError::DuplicateAttribute { at, .. }
            | XmlError::MixedContent { at, .. }
            | XmlError::TooDeep { at, .. }
            | XmlError::TooManyElements { at, .. }
            | XmlError::TooManyAttributes { at, .. }
            | XmlError::TextTooLong { at, .. }
            | XmlError::Structure { at, .. } => Some(*at),
        }
    }
}

/// One attribute: its (unprefixed) name and normalised value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The name.
    pub name: String,
    /// The value, references decoded and whitespace normalised.
    pub value: String,
    /// Where the attribute's element starts.
    pub at: Position,
}

/// One element of a read document: a local name in the cp247 namespace, attributes, and either
/// child elements or text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The local name (any prefix removed; the namespace is always [`NAMESPACE`]).
    pub name: String,
    /// Attributes other than namespace declarations, in document order.
    pub attributes: Vec<Attribute>,
    /// Child elements, in document order.
    pub children: Vec<Element>,
    /// The text, decoded. Empty when the element has children (whitespace between children is
    /// not content) or is empty.
    pub text: String,
    /// Where the start tag begins.
    pub at: Position,
}

impl Element {
    /// The value of the attribute `name`, if present.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}

/// Reads `input` as a cp247 XML document with the default [`Limits`].
pub fn read(input: &[u8]) -> Result<Element, XmlError> {
    read_with(input, &Limits::default())
}

/// Reads `input` as a cp247 XML document with the given limits.
pub fn read_with(input: &[u8], limits: &Limits) -> Result<Element, XmlError> {
    if input.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: input.len(),
            limit: limits.max_bytes,
        });
    }
    if input.starts_with(&[0xFE, 0xFF])
        || input.starts_with(&[0xFF, 0xFE])
        || input.starts_with(&[0x00, 0x00, 0xFE, 0xFF])
    {
        return Err(XmlError::NotUtf8 {
            at: Position::locate(input, 0),
        });
    }
    let text = std::str::from_utf8(input).map_err(|e| XmlError::NotUtf8 {
        at: Position::locate(input, e.valid_up_to()),
    })?;
    let (bom, body) = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => (3, rest),
        None => (0, text),
    };
    TreeBuilder::new(input, bom, limits).run(body)
}

/// An element being read: its finished parts and the namespace prefixes it declares.
struct Open {
    element: Element,
    /// The literal tag name, to match the end tag.
    qname: String,
    /// Whether the default namespace is cp247 inside this element.
    default_is_cp247: bool,
    /// Prefixes bound to cp247 by this element.
    prefixes: Vec<String>,
    /// Where the first non-whitespace text was, if any (for the mixed-content error).
    text_at: Option<usize>,
}

struct TreeBuilder<'a> {
    /// Positions in the whole input.
    locator: Locator<'a>,
    /// Length of the byte-order mark skipped before `body`.
    bom: usize,
    limits: &'a Limits,
    stack: Vec<Open>,
    root: Option<Element>,
    elements: usize,
}

impl<'a> TreeBuilder<'a> {
    fn new(input: &'a [u8], bom: usize, limits: &'a Limits) -> Self {
        Self {
            locator: Locator::new(input),
            bom,
            limits,
            stack: Vec::new(),
            root: None,
            elements: 0,
        }
    }

    /// The position of `offset` in the body (after the BOM).
    fn pos(&self, offset: usize) -> Position {
        self.locator.locate(offset.saturating_add(self.bom))
    }

    fn run(mut self, body: &'a str) -> Result<Element, XmlError> {
        let mut reader = Reader::from_str(body);
        let config = reader.config_mut();
        config.check_comments = true;
        config.check_end_names = true;
        config.allow_dangling_amp = false;
        config.allow_unmatched_ends = false;
        config.expand_empty_elements = false;
        config.trim_text(false);

        let mut first = true;
        loop {
            let start = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let at = usize::try_from(reader.error_position()).unwrap_or(start);
                    return Err(self.syntax_error(body, at, &e));
                }
            };
            let was_first = first;
            first = false;
            match event {
                Event::Decl(decl) => {
                    if !was_first || start != 0 {
                        return Err(XmlError::Structure {
                            detail: "the XML declaration must come first in the document".into(),
                            at: self.pos(start),
                        });
                    }
                    self.check_declaration(&decl, start)?;
                }
                Event::DocType(_) => {
                    return Err(XmlError::Doctype {
                        at: self.pos(start),
                    });
                }
                Event::PI(pi) => {
                    return Err(XmlError::ProcessingInstruction {
                        target: truncate(pi.target(), 32),
                        at: self.pos(start),
                    });
                }
                Event::Comment(c) => self.check_chars(&c, start + 4)?,
                Event::Start(tag) => self.open(&tag, start, false)?,
                Event::Empty(tag) => self.open(&tag, start, true)?,
                Event::End(_) => self.close(start)?,
                Event::Text(t) => self.text(&t, start, false)?,
                Event::CData(t) => self.text(&t, start + 9, true)?,
                Event::GeneralRef(r) => self.reference(&r, start)?,
                Event::Eof => break,
            }
        }
        if let Some(open) = self.stack.last() {
            return Err(XmlError::Malformed {
                detail: format!("the element <{}> is never closed", open.qname),
                at: open.element.at,
            });
        }
        let end = self.pos(body.len());
        self.root.ok_or_else(|| XmlError::Structure {
            detail: "the document has no root element".into(),
            at: end,
        })
    }

    fn syntax_error(&self, body: &str, at: usize, e: &quick_xml::Error) -> XmlError {
        let rest = body.get(at..).unwrap_or_default();
        if rest.starts_with("<!") && !rest.starts_with("<!--") && !rest.starts_with("<![CDATA[") {
            let upper = rest.get(..9).unwrap_or(rest).to_ascii_uppercase();
            if upper.starts_with("<!DOCTYPE") {
                return XmlError::Doctype { at: self.pos(at) };
            }
            return XmlError::MarkupDeclaration {
                start: truncate(rest, 12),
                at: self.pos(at),
            };
        }
        XmlError::Malformed {
            detail: e.to_string(),
            at: self.pos(at),
        }
    }

    fn check_declaration(
        &self,
        decl: &quick_xml::events::BytesDecl<'_>,
        start: usize,
    ) -> Result<(), XmlError> {
        let at = self.pos(start);
        let bad = |detail: String| XmlError::Declaration { detail, at };
        match decl.version() {
            Ok(v) if v == "1.0" => {}
            Ok(v) => return Err(bad(format!("says version '{}'", truncate(&v, 16)))),
            Err(e) => return Err(bad(format!("cannot be read ({e})"))),
        }
        if let Some(encoding) = decl.encoding() {
            match encoding {
                Ok(enc) if enc.eq_ignore_ascii_case("UTF-8") => {}
                Ok(enc) => return Err(bad(format!("says encoding '{}'", truncate(&enc, 32)))),
                Err(e) => return Err(bad(format!("cannot be read ({e})"))),
            }
        }
        if let Some(standalone) = decl.standalone() {
            match standalone {
                Ok(s) if s == "yes" || s == "no" => {}
                Ok(s) => return Err(bad(format!("says standalone '{}'", truncate(&s, 16)))),
                Err(e) => return Err(bad(format!("cannot be read ({e})"))),
            }
        }
        Ok(())
    }

    fn open(&mut self, tag: &BytesStart<'_>, start: usize, empty: bool) -> Result<(), XmlError> {
        let at = self.pos(start);
        if self.root.is_some() {
            return Err(XmlError::Structure {
                detail: "the document has a second root element; it must have exactly one".into(),
                at,
            });
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooManyElements {
                limit: self.limits.max_elements,
                at,
            });
        }
        if self.stack.len() + 1 > self.limits.max_depth {
            return Err(XmlError::TooDeep {
                limit: self.limits.max_depth,
                at,
            });
        }
        if let Some(parent) = self.stack.last()
            && let Some(text_at) = parent.text_at
        {
            return Err(XmlError::MixedContent {
                element: parent.element.name.clone(),
                at: self.pos(text_at),
            });
        }
        let qname = tag.name().as_ref().to_owned();
        let (prefix, local) = self.split_name(&qname, at)?;

        // Attributes: parsed here, strictly, from the raw text after the name.
        let raw = tag.attributes_raw();
        let raw_start = start + 1 + qname.len();
        let parsed = self.parse_attributes(raw, raw_start, at)?;

        let (inherited_default, _) = self
            .stack
            .last()
            .map_or((false, ()), |o| (o.default_is_cp247, ()));
        let mut default_is_cp247 = inherited_default;
        let mut prefixes = Vec::new();
        let mut attributes = Vec::new();
        for (name, value) in parsed {
            if name == "xmlns" {
                if value != NAMESPACE {
                    return Err(XmlError::Namespace {
                        detail: format!(
                            "the default namespace is declared as '{}'",
                            truncate(&value, 64)
                        ),
                        at,
                    });
                }
                default_is_cp247 = true;
            } else if let Some(p) = name.strip_prefix("xmlns:") {
                if value != NAMESPACE || p == "xml" || p == "xmlns" {
                    return Err(XmlError::Namespace {
                        detail: format!(
                            "the prefix '{}' is bound to the namespace '{}'",
                            truncate(p, 32),
                            truncate(&value, 64)
                        ),
                        at,
                    });
                }
                prefixes.push(p.to_owned());
            } else if name.contains(':') {
                return Err(XmlError::Namespace {
                    detail: format!(
                        "the attribute '{}' has a namespace prefix; cp247 attributes have none",
                        truncate(&name, 64)
                    ),
                    at,
                });
            } else {
                attributes.push(Attribute { name, value, at });
            }
        }

        let in_cp247 = match prefix {
            None => default_is_cp247,
            Some(p) => {
                prefixes.iter().any(|q| q == p)
                    || self
                        .stack
                        .iter()
                        .rev()
                        .any(|o| o.prefixes.iter().any(|q| q == p))
            }
        };
        if !in_cp247 {
            let detail = match prefix {
                None => format!("the element <{qname}> is in no namespace"),
                Some(p) => format!("the element <{qname}> uses the undeclared prefix '{p}'"),
            };
            return Err(XmlError::Namespace { detail, at });
        }

        let element = Element {
            name: local.to_owned(),
            attributes,
            children: Vec::new(),
            text: String::new(),
            at,
        };
        let open = Open {
            element,
            qname,
            default_is_cp247,
            prefixes,
            text_at: None,
        };
        if empty {
            self.finish(open.element);
        } else {
            self.stack.push(open);
        }
        Ok(())
    }

    fn close(&mut self, start: usize) -> Result<(), XmlError> {
        match self.stack.pop() {
            Some(open) => {
                self.finish(open.element);
                Ok(())
            }
            // quick-xml already refuses unmatched end tags; kept total for safety.
            None => Err(XmlError::Malformed {
                detail: "an end tag has no matching start tag".into(),
                at: self.pos(start),
            }),
        }
    }

    /// Attaches a complete element to its parent, or makes it the root.
    fn finish(&mut self, mut element: Element) {
        if !element.children.is_empty() {
            element.text.clear();
        }
        match self.stack.last_mut() {
            Some(parent) => parent.element.children.push(element),
            None => self.root = Some(element),
        }
    }

    fn text(&mut self, raw: &str, start: usize, cdata: bool) -> Result<(), XmlError> {
        if !cdata && let Some(p) = raw.find("]]>") {
            return Err(XmlError::Malformed {
                detail: "the sequence ']]>' is not allowed in text".into(),
                at: self.pos(start + p),
            });
        }
        self.check_chars(raw, start)?;
        let whitespace = raw
            .bytes()
            .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
        let Some(open) = self.stack.last_mut() else {
            if whitespace && !cdata {
                return Ok(());
            }
            return Err(XmlError::Structure {
                detail: "text is not allowed outside the root element".into(),
                at: self.pos(start),
            });
        };
        if !whitespace && open.text_at.is_none() {
            open.text_at = Some(start);
            if !open.element.children.is_empty() {
                let element = open.element.name.clone();
                return Err(XmlError::MixedContent {
                    element,
                    at: self.pos(start),
                });
            }
        }
        if open.element.children.is_empty() {
            push_normalised_line_ends(&mut open.element.text, raw);
            if open.element.text.len() > self.limits.max_text_bytes {
                let limit = self.limits.max_text_bytes;
                return Err(XmlError::TextTooLong {
                    limit,
                    at: self.pos(start),
                });
            }
        }
        Ok(())
    }

    fn reference(&mut self, name: &str, start: usize) -> Result<(), XmlError> {
        let c = decode_reference(name).map_err(|bad| self.reference_error(bad, name, start))?;
        let Some(open) = self.stack.last_mut() else {
            return Err(XmlError::Structure {
                detail: "a character reference is not allowed outside the root element".into(),
                at: self.pos(start),
            });
        };
        if open.text_at.is_none() {
            open.text_at = Some(start);
            if !open.element.children.is_empty() {
                let element = open.element.name.clone();
                return Err(XmlError::MixedContent {
                    element,
                    at: self.pos(start),
                });
            }
        }
        open.element.text.push(c);
        if open.element.text.len() > self.limits.max_text_bytes {
            let limit = self.limits.max_text_bytes;
            return Err(XmlError::TextTooLong {
                limit,
                at: self.pos(start),
            });
        }
        Ok(())
    }

    fn reference_error(&self, bad: BadReference, name: &str, start: usize) -> XmlError {
        match bad {
            BadReference::Unknown => XmlError::UnknownEntity {
                name: truncate(name, 32),
                at: self.pos(start),
            },
            BadReference::BadChar => XmlError::BadCharReference {
                reference: truncate(name, 32),
                at: self.pos(start),
            },
        }
    }

    /// Refuses characters that XML 1.0 does not allow. `start` is the byte offset of `raw`.
    fn check_chars(&self, raw: &str, start: usize) -> Result<(), XmlError> {
        for (i, c) in raw.char_indices() {
            if !is_xml_char(c) {
                return Err(XmlError::BadCharacter {
                    code: u32::from(c),
                    at: self.pos(start + i),
                });
            }
        }
        Ok(())
    }

    /// Splits `prefix:local`, checking both parts.
    fn split_name<'n>(
        &self,
        qname: &'n str,
        at: Position,
    ) -> Result<(Option<&'n str>, &'n str), XmlError> {
        let bad = || XmlError::BadName {
            name: truncate(qname, 64),
            limit: self.limits.max_name_bytes,
            at,
        };
        if qname.len() > self.limits.max_name_bytes {
            return Err(bad());
        }
        match qname.split_once(':') {
            Some((p, l)) if is_ncname(p) && is_ncname(l) => Ok((Some(p), l)),
            Some(_) => Err(bad()),
            None if is_ncname(qname) => Ok((None, qname)),
            None => Err(bad()),
        }
    }

    /// Parses `(S Name S? '=' S? ('"' value '"' | "'" value "'"))* S?` strictly.
    fn parse_attributes(
        &self,
        raw: &str,
        raw_start: usize,
        at: Position,
    ) -> Result<Vec<(String, String)>, XmlError> {
        let bytes = raw.as_bytes();
        let mut out: Vec<(String, String)> = Vec::new();
        let mut i = 0;
        let malformed = |detail: &str, off: usize| XmlError::Malformed {
            detail: detail.to_owned(),
            at: self.pos(raw_start + off),
        };
        loop {
            let ws_start = i;
            while bytes.get(i).is_some_and(|b| is_xml_space(*b)) {
                i += 1;
            }
            if i >= bytes.len() {
                return Ok(out);
            }
            if i == ws_start {
                return Err(malformed("attributes must be separated by whitespace", i));
            }
            let name_start = i;
            while bytes
                .get(i)
                .is_some_and(|b| !is_xml_space(*b) && *b != b'=')
            {
                i += 1;
            }
            let name = raw.get(name_start..i).unwrap_or_default();
            while bytes.get(i).is_some_and(|b| is_xml_space(*b)) {
                i += 1;
            }
            if bytes.get(i) != Some(&b'=') {
                return Err(malformed(
                    "an attribute name must be followed by '=' and a quoted value",
                    i,
                ));
            }
            i += 1;
            while bytes.get(i).is_some_and(|b| is_xml_space(*b)) {
                i += 1;
            }
            let quote = match bytes.get(i) {
                Some(q @ (b'"' | b'\'')) => *q,
                _ => return Err(malformed("an attribute value must be quoted", i)),
            };
            i += 1;
            let value_start = i;
            while bytes.get(i).is_some_and(|b| *b != quote) {
                i += 1;
            }
            if i >= bytes.len() {
                return Err(malformed("an attribute value is not closed", value_start));
            }
            let raw_value = raw.get(value_start..i).unwrap_or_default();
            i += 1;

            if out.len() >= self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes {
                    limit: self.limits.max_attributes,
                    at,
                });
            }
            let name_at = self.pos(raw_start + name_start);
            self.split_name(name, name_at)?;
            if out.iter().any(|(n, _)| n == name) {
                return Err(XmlError::DuplicateAttribute {
                    name: name.to_owned(),
                    at: name_at,
                });
            }
            let value = self.attribute_value(raw_value, raw_start + value_start)?;
            out.push((name.to_owned(), value));
        }
    }

    /// Decodes an attribute value: references, and whitespace normalisation (XML 1.0 §3.3.3).
    fn attribute_value(&self, raw: &str, start: usize) -> Result<String, XmlError> {
        if raw.len() > self.limits.max_text_bytes {
            return Err(XmlError::TextTooLong {
                limit: self.limits.max_text_bytes,
                at: self.pos(start),
            });
        }
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        let mut offset = start;
        while let Some((i, c)) = rest.char_indices().next() {
            debug_assert_eq!(i, 0);
            let len = c.len_utf8();
            match c {
                '<' => {
                    return Err(XmlError::Malformed {
                        detail: "'<' is not allowed in an attribute value (write &lt;)".into(),
                        at: self.pos(offset),
                    });
                }
                '&' => {
                    let body = rest.get(1..).unwrap_or_default();
                    // A reference is short; do not scan far for its ';'.
                    let end = body.bytes().take(16).position(|b| b == b';').ok_or_else(|| {
                        XmlError::Malformed {
                            detail: "'&' must start an entity or character reference ending in ';' (write &amp;)".into(),
                            at: self.pos(offset),
                        }
                    })?;
                    let name = body.get(..end).unwrap_or_default();
                    let ch = decode_reference(name)
                        .map_err(|bad| self.reference_error(bad, name, offset))?;
                    out.push(ch);
                    rest = body.get(end + 1..).unwrap_or_default();
                    offset += end + 2;
                    continue;
                }
                '\r' => {
                    out.push(' ');
                    // \r\n is one line end, hence one space.
                    if rest.as_bytes().get(1) == Some(&b'\n') {
                        rest = rest.get(2..).unwrap_or_default();
                        offset += 2;
                        continue;
                    }
                }
                '\t' | '\n' => out.push(' '),
                c if is_xml_char(c) => out.push(c),
                c => {
                    return Err(XmlError::BadCharacter {
                        code: u32::from(c),
                        at: self.pos(offset),
                    });
                }
            }
            rest = rest.get(len..).unwrap_or_default();
            offset += len;
        }
        Ok(out)
    }
}

enum BadReference {
    Unknown,
    BadChar,
}

/// Decodes the name of a reference (`amp`, `#38`, `#x26`) to its character.
fn decode_reference(name: &str) -> Result<char, BadReference> {
    match name {
        "lt" => return Ok('<'),
        "gt" => return Ok('>'),
        "amp" => return Ok('&'),
        "apos" => return Ok('\''),
        "quot" => return Ok('"'),
        _ => {}
    }
    let Some(number) = name.strip_prefix('#') else {
        return Err(BadReference::Unknown);
    };
    let (digits, radix) = match number.strip_prefix('x') {
        Some(hex) => (hex, 16),
        None => (number, 10),
    };
    let valid = !digits.is_empty()
        && digits.len() <= 8
        && digits.bytes().all(|b| match radix {
            16 => b.is_ascii_hexdigit(),
            _ => b.is_ascii_digit(),
        });
    if !valid {
        return Err(BadReference::BadChar);
    }
    u32::from_str_radix(digits, radix)
        .ok()
        .and_then(char::from_u32)
        .filter(|c| is_xml_char(*c))
        .ok_or(BadReference::BadChar)
}

/// XML 1.0 `Char`: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
/// (Surrogates cannot occur in a Rust `char`.)
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
        && !matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// An ASCII NCName: a letter or `_`, then letters, digits, `_`, `-`, `.`.
fn is_ncname(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// Appends `raw` to `out`, turning `\r\n` and lone `\r` into `\n` (XML 1.0 §2.11).
fn push_normalised_line_ends(out: &mut String, raw: &str) {
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
}

/// At most `max` characters of `s`, for messages.
fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or_default()),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(inner: &str) -> String {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r xmlns=\"{NAMESPACE}\">{inner}</r>")
    }

    #[test]
    fn reads_a_small_document() {
        let root = read(
            doc("<a x=\"1\">t &amp; &#x41;&#66;</a><b/><p:c xmlns:p=\"urn:cp247:forms:1\">z</p:c>")
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(root.name, "r");
        assert_eq!(root.children.len(), 3);
        assert_eq!(root.children[0].text, "t & AB");
        assert_eq!(root.children[0].attribute("x"), Some("1"));
        assert_eq!(root.children[1].text, "");
        assert_eq!(root.children[2].name, "c");
        assert_eq!(root.children[2].text, "z");
        assert_eq!(root.children[0].at.line, 2);
    }

    #[test]
    fn normalises_line_ends_and_attribute_whitespace() {
        let root =
            read(doc("<a v=\"x\ty\r\nz&#10;\">1\r\n2\r3<![CDATA[<&>]]></a>").as_bytes()).unwrap();
        assert_eq!(root.children[0].text, "1\n2\n3<&>");
        assert_eq!(root.children[0].attribute("v"), Some("x y z\n"));
    }

    #[test]
    fn refuses_dtds_entities_and_pis() {
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        assert!(matches!(
            read(xxe.as_bytes()),
            Err(XmlError::Doctype { .. })
        ));
        assert!(matches!(
            read(doc("&x;").as_bytes()),
            Err(XmlError::UnknownEntity { .. })
        ));
        assert!(matches!(
            read(doc("<?php x?>").as_bytes()),
            Err(XmlError::ProcessingInstruction { .. })
        ));
        assert!(matches!(
            read(doc("<a>&#0;</a>").as_bytes()),
            Err(XmlError::BadCharReference { .. })
        ));
        assert!(matches!(
            read(doc("<a>\u{1}</a>").as_bytes()),
            Err(XmlError::BadCharacter { .. })
        ));
        assert!(read(doc("<!ENTITY x \"y\">").as_bytes()).is_err());
    }

    #[test]
    fn refuses_foreign_namespaces_and_prefixes() {
        assert!(matches!(read(b"<r/>"), Err(XmlError::Namespace { .. })));
        assert!(matches!(
            read(b"<r xmlns=\"urn:other\"/>"),
            Err(XmlError::Namespace { .. })
        ));
        assert!(matches!(
            read(doc("<a xsi:type=\"x\"/>").as_bytes()),
            Err(XmlError::Namespace { .. })
        ));
        assert!(matches!(
            read(doc("<q:a/>").as_bytes()),
            Err(XmlError::Namespace { .. })
        ));
    }

    #[test]
    fn refuses_malformed_structure() {
        for bad in [
            "",
            "   ",
            "<r xmlns=\"urn:cp247:forms:1\">",
            "<r xmlns=\"urn:cp247:forms:1\"></s>",
            "<r xmlns=\"urn:cp247:forms:1\"/><r xmlns=\"urn:cp247:forms:1\"/>",
            "<r xmlns=\"urn:cp247:forms:1\"/>text",
            "<r xmlns=\"urn:cp247:forms:1\" a=\"1\" a=\"2\"/>",
            "<r xmlns=\"urn:cp247:forms:1\" a=\"1\"b=\"2\"/>",
            "<r xmlns=\"urn:cp247:forms:1\" a=1/>",
            "<r xmlns=\"urn:cp247:forms:1\" a=\"<\"/>",
            "<r xmlns=\"urn:cp247:forms:1\" a=\"&\"/>",
            "<r xmlns=\"urn:cp247:forms:1\">x<a/></r>",
            "<r xmlns=\"urn:cp247:forms:1\"><a/>x</r>",
            "<r xmlns=\"urn:cp247:forms:1\">]]></r>",
            "<r xmlns=\"urn:cp247:forms:1\"><1a/></r>",
            " <?xml version=\"1.0\"?><r xmlns=\"urn:cp247:forms:1\"/>",
            "<?xml version=\"1.1\"?><r xmlns=\"urn:cp247:forms:1\"/>",
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r xmlns=\"urn:cp247:forms:1\"/>",
        ] {
            assert!(read(bad.as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn positions_point_at_the_problem() {
        let e = read(doc("\n  <a>&bogus;</a>").as_bytes()).unwrap_err();
        let at = e.position().unwrap();
        assert_eq!((at.line, at.column), (3, 6), "{e}");
        assert!(e.to_string().contains("line 3, column 6"), "{e}");
    }

    #[test]
    fn enforces_limits() {
        let limits = Limits::default();
        let deep = format!(
            "<r xmlns=\"{NAMESPACE}\">{}{}</r>",
            "<a>".repeat(40),
            "</a>".repeat(40)
        );
        assert!(matches!(
            read(deep.as_bytes()),
            Err(XmlError::TooDeep { limit: 32, .. })
        ));
        let many = doc(&"<a/>".repeat(limits.max_elements + 1));
        assert!(matches!(
            read(many.as_bytes()),
            Err(XmlError::TooManyElements { .. })
        ));
        let attrs: String = (0..17).map(|i| format!(" a{i}=\"\"")).collect();
        assert!(matches!(
            read(doc(&format!("<a{attrs}/>")).as_bytes()),
            Err(XmlError::TooManyAttributes { .. })
        ));
        let big = vec![b' '; limits.max_bytes + 1];
        assert!(matches!(read(&big), Err(XmlError::TooLarge { .. })));
        let small = Limits {
            max_text_bytes: 4,
            ..Limits::default()
        };
        assert!(matches!(
            read_with(doc("<a>12345</a>").as_bytes(), &small),
            Err(XmlError::TextTooLong { .. })
        ));
    }

    #[test]
    fn refuses_other_encodings() {
        assert!(matches!(
            read(&[0xFF, 0xFE, b'<', 0]),
            Err(XmlError::NotUtf8 { at }) if at.offset == 0
        ));
        let mut latin1 = doc("<a>caf").into_bytes();
        latin1.push(0xE9);
        assert!(matches!(read(&latin1), Err(XmlError::NotUtf8 { .. })));
        let bom = format!("\u{FEFF}{}", doc(""));
        assert!(read(bom.as_bytes()).is_ok());
    }
}
