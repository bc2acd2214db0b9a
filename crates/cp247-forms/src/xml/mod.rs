//! cp247 documents as XML: a safe, bounded reader and a canonical writer.
//!
//! XML is a second spelling of the same neutral tree as JSON ([`Node`]): the reader turns bytes
//! into an element tree ([`read_tree`]; hostile input is refused fast, see [`reader`]), maps it
//! to a [`Node`] (the dialect is described in [`tree`]), and hands it to the same decoder as
//! JSON, so the problems, their codes and their paths are the same for both formats.
//! [`to_xml_string`] writes a document as canonical, indented XML in the namespace
//! [`NAMESPACE`]; reading it back gives the same document.
//!
//! Replies use the same dialect ([`parse_reply_xml`], [`reply_to_xml_string`]).
//!
//! The published schemas of this dialect are [`crate::schemas::XSD`] (requests) and
//! [`crate::schemas::REPLY_XSD`] (replies).

pub mod reader;
pub mod tree;

pub use reader::{Attribute, Element, Limits, NAMESPACE, Position, XmlError};
pub use tree::{ITEM, WriteError, write_node};

use crate::decode::{Parsed, decode};
use crate::documents::Document;
use crate::encode::encode;
use crate::error::FormsError;
use crate::node::Node;
use crate::reply::{
    MessageError, ParsedMessage, ParsedReply, Reply, ReplyContext, decode_message, decode_reply,
    encode_reply,
};

/// Reads a cp247 XML document: the same [`Parsed`] (document and [`crate::Report`]) as
/// [`crate::parse_json`] gives for the same content, with the same problem paths.
///
/// Input that cannot be read at all — larger than 1 MiB, nested deeper than 32 levels, not
/// UTF-8, not well-formed, or containing a DTD, an entity declaration, an unknown entity, a
/// processing instruction or a foreign namespace — is a [`FormsError`] whose message says what
/// and where (line and column). [`read_tree`] gives the same failure as a typed [`XmlError`].
pub fn parse_xml(bytes: &[u8]) -> Result<Parsed, FormsError> {
    let node = to_node(bytes)?;
    Ok(decode(&node))
}

/// Reads a cp247 XML reply against the context of its case: the same [`ParsedReply`] as
/// [`crate::reply::parse_reply_json`] gives for the same content, with the same problem paths.
/// The root element names the reply kind (`<refused xmlns="urn:cp247:forms:1">`); a request
/// document embedded in a reply (an Art. 30 disclosure, the request of an escalation notice)
/// is a child element whose first child is `<kind>`. Unreadable input is refused as by
/// [`parse_xml`].
pub fn parse_reply_xml(bytes: &[u8], ctx: &ReplyContext) -> Result<ParsedReply, FormsError> {
    let node = to_node(bytes)?;
    Ok(decode_reply(&node, ctx))
}

/// Reads the XML body of a case message against its envelope's message type (see
/// [`crate::reply::decode_message`]): a request, or a reply checked against `case`.
pub fn parse_message_xml(
    message_type: &str,
    bytes: &[u8],
    case: Option<&ReplyContext>,
) -> Result<ParsedMessage, MessageError> {
    let node = to_node(bytes).map_err(|e| MessageError::Unreadable(forms_error(&e)))?;
    decode_message(message_type, &node, case)
}

/// The XML text of a reply: canonical like [`to_xml_string`]; reading it back with
/// [`parse_reply_xml`] gives the same reply.
pub fn reply_to_xml_string(reply: &Reply) -> String {
    tree::write(&encode_reply(reply))
}

/// Reads `bytes` as a cp247 XML element tree with the default [`Limits`].
pub fn read_tree(bytes: &[u8]) -> Result<Element, XmlError> {
    reader::read(bytes)
}

/// Reads `bytes` as cp247 XML and maps it to the neutral tree the decoder reads.
pub fn to_node(bytes: &[u8]) -> Result<Node, XmlError> {
    tree::to_node(&reader::read(bytes)?)
}

/// The XML text of a document: canonical (the encoder's field order, every field present),
/// indented by two spaces, with the XML declaration and the cp247 namespace, ending with a
/// newline.
pub fn to_xml_string(doc: &Document) -> String {
    tree::write(&encode(doc))
}

/// The error of the common API for input that cannot be read as XML: size and depth keep their
/// own variants; everything else is "not well-formed XML" with its line, column and reason.
pub fn forms_error(e: &XmlError) -> FormsError {
    match e {
        XmlError::TooLarge { size, limit } => FormsError::TooLarge {
            size: *size,
            max: *limit,
        },
        XmlError::TooDeep { limit, .. } => FormsError::TooDeep { max: *limit },
        other => {
            let at = other.position().unwrap_or(Position {
                line: 1,
                column: 1,
                offset: 0,
            });
            let full = other.to_string();
            // The message starts with the position; FormsError prints it itself.
            let prefix = format!("{at}: ");
            let reason = full.strip_prefix(&prefix).unwrap_or(&full).to_owned();
            FormsError::Malformed {
                format: "XML",
                line: at.line,
                column: at.column,
                reason,
            }
        }
    }
}

impl From<XmlError> for FormsError {
    fn from(e: XmlError) -> Self {
        forms_error(&e)
    }
}
