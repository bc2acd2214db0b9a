//! Files carried inside a sealed message: a sanitised file name, a media type, the bytes, their
//! size and SHA-256. They are part of the canonical payload, so the signature covers them.
//!
//! In the canonical JSON an attachment is
//! `{"content_base64":…,"file_name":…,"media_type":…,"sha256":…,"size":…}` (standard base64
//! with padding, SHA-256 in lower-case hex, size in bytes); the payload's `attachments` array
//! is omitted when there is none, so a payload without files is byte-identical to the format
//! before attachments existed.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// How many files one message may carry by default: 20.
pub const DEFAULT_MAX_ATTACHMENTS: usize = 20;

/// The largest file by default: 8 MiB.
pub const DEFAULT_MAX_ATTACHMENT_BYTES: usize = 8 * 1024 * 1024;

/// The most bytes all files of one message may have together by default: 16 MiB.
pub const DEFAULT_MAX_ATTACHMENTS_TOTAL_BYTES: usize = 16 * 1024 * 1024;

/// The longest file name, in UTF-8 bytes (what common file systems allow).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// An upper bound on the JSON one attachment adds to a payload besides its base64 content:
/// keys, quotes and punctuation (about 80 bytes), the file name escaped (at most 2 × 255: control
/// characters are refused, so only `"` and `\` are escaped, each to two bytes), the media type
/// (at most 255), the hash (64) and the size (at most 20 digits).
pub const ATTACHMENT_JSON_OVERHEAD: usize = 1024;

/// The bounds on the files of one message, checked before any content is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    /// The most files.
    pub max_files: usize,
    /// The largest file, in bytes.
    pub max_file_bytes: usize,
    /// The most bytes of all files together.
    pub max_total_bytes: usize,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        Self {
            max_files: DEFAULT_MAX_ATTACHMENTS,
            max_file_bytes: DEFAULT_MAX_ATTACHMENT_BYTES,
            max_total_bytes: DEFAULT_MAX_ATTACHMENTS_TOTAL_BYTES,
        }
    }
}

/// The length of the standard base64 (with padding) of `n` bytes.
pub fn base64_len(n: usize) -> usize {
    n.div_ceil(3).saturating_mul(4)
}

/// An upper bound on the length of an ASCII-armored OpenPGP message whose literal data is `n`
/// bytes longer: the binary packets grow by the data, plus at most one partial-length octet per
/// 256 bytes and a fixed margin; armor turns 3 bytes into 4 and ends each line of 64 characters
/// with at most 2 bytes.
pub fn armored_growth(n: usize) -> usize {
    let binary = n.saturating_add(n / 256).saturating_add(64);
    let text = base64_len(binary);
    text.saturating_add((text / 64).saturating_add(1).saturating_mul(2))
}

impl AttachmentLimits {
    /// No attachments at all.
    pub const NONE: AttachmentLimits = AttachmentLimits {
        max_files: 0,
        max_file_bytes: 0,
        max_total_bytes: 0,
    };

    /// The most bytes attachments within these limits add to a canonical payload: the base64
    /// of the total (plus up to 4 bytes of padding per file) and each file's JSON overhead.
    pub fn payload_allowance(&self) -> usize {
        if self.max_files == 0 {
            return 0;
        }
        let content = base64_len(
            self.max_total_bytes
                .min(self.max_file_bytes.saturating_mul(self.max_files)),
        );
        let per_file = ATTACHMENT_JSON_OVERHEAD.saturating_add(4);
        content
            .saturating_add(self.max_files.saturating_mul(per_file))
            .saturating_add(32)
    }

    /// The most bytes attachments within these limits add to a sealed (armored) message.
    pub fn sealed_allowance(&self) -> usize {
        if self.max_files == 0 {
            return 0;
        }
        armored_growth(self.payload_allowance())
    }

    /// Checks the count and the (declared or actual) sizes of `sizes`, in order: too many
    /// files, then the first file over the per-file limit, then the total.
    pub fn check_sizes(&self, sizes: &[u64]) -> Result<(), AttachmentError> {
        if sizes.len() > self.max_files {
            return Err(AttachmentError::TooMany {
                count: sizes.len(),
                limit: self.max_files,
            });
        }
        let per_file = u64::try_from(self.max_file_bytes).unwrap_or(u64::MAX);
        let mut total: u64 = 0;
        for (index, size) in sizes.iter().enumerate() {
            if *size > per_file {
                return Err(AttachmentError::FileTooLarge {
                    index,
                    size: *size,
                    limit: self.max_file_bytes,
                });
            }
            total = total.saturating_add(*size);
        }
        if total > u64::try_from(self.max_total_bytes).unwrap_or(u64::MAX) {
            return Err(AttachmentError::TotalTooLarge {
                total,
                limit: self.max_total_bytes,
            });
        }
        Ok(())
    }
}

/// Why a text is not a [`FileName`]. The messages never quote the name (it may be case
/// plaintext).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileNameError {
    /// Nothing.
    #[error("the file name is empty")]
    Empty,
    /// Longer than [`MAX_FILE_NAME_BYTES`].
    #[error("the file name is longer than {MAX_FILE_NAME_BYTES} bytes")]
    TooLong,
    /// Holds `/` or `\`.
    #[error("the file name contains a path separator (/ or \\); give the name of the file only")]
    PathSeparator,
    /// Holds a control character or an invisible formatting character (bidirectional
    /// overrides, byte-order mark, zero-width characters) that could disguise the name.
    #[error(
        "the file name contains a control character or an invisible formatting character (e.g. a right-to-left override)"
    )]
    ControlCharacter,
    /// `.` or `..`.
    #[error("the file name is . or .., which name directories")]
    DotName,
    /// Starts or ends with white space.
    #[error("the file name starts or ends with white space")]
    EdgeSpace,
}

impl FileNameError {
    /// A stable kebab-case name of the reason (for message catalogues).
    pub fn key(&self) -> &'static str {
        match self {
            FileNameError::Empty => "empty",
            FileNameError::TooLong => "too-long",
            FileNameError::PathSeparator => "path-separator",
            FileNameError::ControlCharacter => "control-character",
            FileNameError::DotName => "dot-name",
            FileNameError::EdgeSpace => "edge-space",
        }
    }
}

/// Characters that are not controls but change how a name is displayed without being seen.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A file name that is safe to offer for saving: one name (no path), no control or invisible
/// formatting characters, at most [`MAX_FILE_NAME_BYTES`] bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FileName(String);

impl FileName {
    /// Parses a file name, refusing (never rewriting) anything unsafe.
    pub fn parse(text: &str) -> Result<Self, FileNameError> {
        if text.is_empty() {
            return Err(FileNameError::Empty);
        }
        if text.len() > MAX_FILE_NAME_BYTES {
            return Err(FileNameError::TooLong);
        }
        if text.contains(['/', '\\']) {
            return Err(FileNameError::PathSeparator);
        }
        if text
            .chars()
            .any(|c| c.is_control() || is_invisible_format(c))
        {
            return Err(FileNameError::ControlCharacter);
        }
        if text == "." || text == ".." {
            return Err(FileNameError::DotName);
        }
        if text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace) {
            return Err(FileNameError::EdgeSpace);
        }
        Ok(Self(text.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A file name may say what the case is about.
        write!(f, "FileName(<{} bytes>)", self.0.len())
    }
}

/// Why a text is not a [`MediaType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a media type: write type/subtype in lower case without parameters, e.g. application/pdf"
)]
pub struct MediaTypeError;

/// A media type `type/subtype` (RFC 6838 restricted names, lower case, no parameters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaType(String);

impl MediaType {
    /// Parses `type/subtype`; upper case and parameters are refused (the canonical payload
    /// has one spelling).
    pub fn parse(text: &str) -> Result<Self, MediaTypeError> {
        let name_ok = |s: &str| {
            (1..=127).contains(&s.len())
                && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && s.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || matches!(
                            b,
                            b'!' | b'#' | b'$' | b'&' | b'-' | b'^' | b'_' | b'.' | b'+'
                        )
                })
        };
        match text.split_once('/') {
            Some((t, s)) if name_ok(t) && name_ok(s) => Ok(Self(text.to_owned())),
            _ => Err(MediaTypeError),
        }
    }

    /// The media type.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why attachments were refused. Every variant names the attachment by its index (the path in
/// the payload is [`AttachmentError::path`]) and never quotes a name or content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// More files than allowed.
    #[error("{count} files are attached; at most {limit} are accepted")]
    TooMany {
        /// How many.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// One file is larger than allowed.
    #[error("attachments[{index}] is {size} bytes long; at most {limit} are accepted per file")]
    FileTooLarge {
        /// Which.
        index: usize,
        /// Its size.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// All files together are larger than allowed.
    #[error(
        "the attachments are {total} bytes long together; at most {limit} are accepted per message"
    )]
    TotalTooLarge {
        /// Their total size.
        total: u64,
        /// The limit.
        limit: usize,
    },
    /// A file name is not safe.
    #[error("attachments[{index}].file_name: {reason}")]
    FileName {
        /// Which.
        index: usize,
        /// Why.
        reason: FileNameError,
    },
    /// A media type is not `type/subtype`.
    #[error("attachments[{index}].media_type: {reason}")]
    MediaType {
        /// Which.
        index: usize,
        /// Why.
        reason: MediaTypeError,
    },
    /// The content is not standard base64 with padding.
    #[error("attachments[{index}].content_base64 is not base64 (RFC 4648 alphabet, with padding)")]
    Base64 {
        /// Which.
        index: usize,
    },
    /// The declared size is not the content's.
    #[error("attachments[{index}].size says {declared} bytes but the content has {actual}")]
    SizeMismatch {
        /// Which.
        index: usize,
        /// The declared size.
        declared: u64,
        /// The content's size.
        actual: u64,
    },
    /// The declared SHA-256 is not 64 lower-case hex digits.
    #[error("attachments[{index}].sha256 is not 64 lower-case hexadecimal digits")]
    InvalidHash {
        /// Which.
        index: usize,
    },
    /// The declared SHA-256 is not the content's.
    #[error("attachments[{index}].sha256 does not match the content")]
    HashMismatch {
        /// Which.
        index: usize,
    },
}

impl AttachmentError {
    /// A stable snake_case code (federation refusals, API errors).
    pub fn code(&self) -> &'static str {
        match self {
            AttachmentError::TooMany { .. } => "too_many_attachments",
            AttachmentError::FileTooLarge { .. } => "attachment_too_large",
            AttachmentError::TotalTooLarge { .. } => "attachments_too_large",
            AttachmentError::FileName { .. } => "invalid_file_name",
            AttachmentError::MediaType { .. } => "invalid_media_type",
            AttachmentError::Base64 { .. } => "invalid_base64",
            AttachmentError::SizeMismatch { .. } => "attachment_size_mismatch",
            AttachmentError::InvalidHash { .. } => "invalid_attachment_hash",
            AttachmentError::HashMismatch { .. } => "attachment_hash_mismatch",
        }
    }

    /// The field path of the problem, e.g. `attachments[2].content_base64`.
    pub fn path(&self) -> String {
        match self {
            AttachmentError::TooMany { .. } | AttachmentError::TotalTooLarge { .. } => {
                "attachments".to_owned()
            }
            AttachmentError::FileTooLarge { index, .. } | AttachmentError::Base64 { index } => {
                format!("attachments[{index}].content_base64")
            }
            AttachmentError::FileName { index, .. } => format!("attachments[{index}].file_name"),
            AttachmentError::MediaType { index, .. } => {
                format!("attachments[{index}].media_type")
            }
            AttachmentError::SizeMismatch { index, .. } => format!("attachments[{index}].size"),
            AttachmentError::InvalidHash { index } | AttachmentError::HashMismatch { index } => {
                format!("attachments[{index}].sha256")
            }
        }
    }

    /// True for the refusals of size (count, per file, total): the message is too large for
    /// the receiver, not malformed.
    pub fn is_over_limit(&self) -> bool {
        matches!(
            self,
            AttachmentError::TooMany { .. }
                | AttachmentError::FileTooLarge { .. }
                | AttachmentError::TotalTooLarge { .. }
        )
    }
}

/// A file carried in a message. `Debug` shows only its size and hash.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    file_name: FileName,
    media_type: MediaType,
    content: Vec<u8>,
    sha256: [u8; 32],
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("size", &self.content.len())
            .field("sha256", &self.sha256_hex())
            .finish_non_exhaustive()
    }
}

impl Attachment {
    /// A file with its hash computed from `content`.
    pub fn new(file_name: FileName, media_type: MediaType, content: Vec<u8>) -> Self {
        let sha256 = Sha256::digest(&content).into();
        Self {
            file_name,
            media_type,
            content,
            sha256,
        }
    }

    /// The file name.
    pub fn file_name(&self) -> &FileName {
        &self.file_name
    }

    /// The media type.
    pub fn media_type(&self) -> &MediaType {
        &self.media_type
    }

    /// The bytes.
    pub fn content(&self) -> &[u8] {
        &self.content
    }

    /// The bytes, consumed.
    pub fn into_content(self) -> Vec<u8> {
        self.content
    }

    /// The size in bytes.
    pub fn size(&self) -> u64 {
        u64::try_from(self.content.len()).unwrap_or(u64::MAX)
    }

    /// SHA-256 of the bytes.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    /// SHA-256 of the bytes, lower-case hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }

    /// The canonical JSON object of this attachment (keys in byte order).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        map.insert(
            "content_base64".into(),
            serde_json::Value::String(STANDARD.encode(&self.content)),
        );
        map.insert(
            "file_name".into(),
            serde_json::Value::String(self.file_name.0.clone()),
        );
        map.insert(
            "media_type".into(),
            serde_json::Value::String(self.media_type.0.clone()),
        );
        map.insert(
            "sha256".into(),
            serde_json::Value::String(self.sha256_hex()),
        );
        map.insert("size".into(), serde_json::Value::from(self.size()));
        serde_json::Value::Object(map)
    }
}

/// The decoded length of a standard base64 text with padding, or `None` when its length or
/// padding cannot be base64. Lets the limits be checked before anything is decoded.
pub fn base64_decoded_len(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let padding = bytes.iter().rev().take_while(|b| **b == b'=').count();
    if padding > 2 {
        return None;
    }
    let groups = u64::try_from(bytes.len() / 4).ok()?;
    groups
        .checked_mul(3)?
        .checked_sub(u64::try_from(padding).ok()?)
}

/// Decodes standard base64 with padding strictly (no white space, no non-zero trailing bits).
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text).ok()
}

/// An attachment as it appears in a payload, before its checks.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WireAttachment {
    content_base64: String,
    file_name: String,
    media_type: String,
    sha256: String,
    size: u64,
}

/// Turns the attachments of a payload into [`Attachment`]s: limits first on the declared
/// sizes (no decoding before), then each declared size against the base64 length, names,
/// media types, decoding, sizes and hashes.
pub(crate) fn from_wire(
    wire: Vec<WireAttachment>,
    limits: &AttachmentLimits,
) -> Result<Vec<Attachment>, AttachmentError> {
    let declared: Vec<u64> = wire.iter().map(|w| w.size).collect();
    limits.check_sizes(&declared)?;
    for (index, w) in wire.iter().enumerate() {
        match base64_decoded_len(&w.content_base64) {
            None => return Err(AttachmentError::Base64 { index }),
            Some(actual) if actual != w.size => {
                return Err(AttachmentError::SizeMismatch {
                    index,
                    declared: w.size,
                    actual,
                });
            }
            Some(_) => {}
        }
    }
    let mut out = Vec::with_capacity(wire.len());
    for (index, w) in wire.into_iter().enumerate() {
        let file_name = FileName::parse(&w.file_name)
            .map_err(|reason| AttachmentError::FileName { index, reason })?;
        let media_type = MediaType::parse(&w.media_type)
            .map_err(|reason| AttachmentError::MediaType { index, reason })?;
        let mut expected = [0u8; 32];
        let hash_ok = w.sha256.len() == 64
            && w.sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && hex::decode_to_slice(&w.sha256, &mut expected).is_ok();
        if !hash_ok {
            return Err(AttachmentError::InvalidHash { index });
        }
        let content = decode_base64(&w.content_base64).ok_or(AttachmentError::Base64 { index })?;
        let actual = u64::try_from(content.len()).unwrap_or(u64::MAX);
        if actual != w.size {
            return Err(AttachmentError::SizeMismatch {
                index,
                declared: w.size,
                actual,
            });
        }
        let attachment = Attachment::new(file_name, media_type, content);
        if attachment.sha256 != expected {
            return Err(AttachmentError::HashMismatch { index });
        }
        out.push(attachment);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        for ok in [
            "capture.png",
            "journal des connexions.txt",
            "IP-logs_2026-11-28.csv",
            "données.zip",
            ".hidden",
            "a",
            &"n".repeat(255),
        ] {
            assert!(FileName::parse(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("", FileNameError::Empty),
            (&"n".repeat(256) as &str, FileNameError::TooLong),
            ("../etc/passwd", FileNameError::PathSeparator),
            ("C:\\x.txt", FileNameError::PathSeparator),
            ("a\nb", FileNameError::ControlCharacter),
            ("a\u{0}b", FileNameError::ControlCharacter),
            ("invoice\u{202E}fdp.exe", FileNameError::ControlCharacter),
            ("\u{FEFF}x", FileNameError::ControlCharacter),
            (".", FileNameError::DotName),
            ("..", FileNameError::DotName),
            (" x.txt", FileNameError::EdgeSpace),
            ("x.txt ", FileNameError::EdgeSpace),
        ] {
            assert_eq!(FileName::parse(bad), Err(why), "{bad:?}");
        }
        assert!(!format!("{:?}", FileName::parse("secret.txt").unwrap()).contains("secret"));
    }

    #[test]
    fn media_types() {
        for ok in [
            "application/pdf",
            "image/png",
            "text/csv",
            "application/vnd.ms-excel",
            "application/x-pcap",
        ] {
            assert!(MediaType::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "text",
            "Text/Plain",
            "text/plain; charset=utf-8",
            "/x",
            "x/",
            "a/b/c",
            "te xt/plain",
        ] {
            assert!(MediaType::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn base64_lengths() {
        for n in 0..40usize {
            let data = vec![7u8; n];
            let text = STANDARD.encode(&data);
            assert_eq!(text.len(), base64_len(n));
            assert_eq!(base64_decoded_len(&text), Some(n as u64), "{n}");
        }
        assert_eq!(base64_decoded_len("abc"), None);
        assert_eq!(base64_decoded_len("a==="), None);
        // Non-zero trailing bits are not canonical: refused.
        assert!(decode_base64("QR==").is_none());
        assert!(decode_base64("QQ==").is_some());
        assert!(decode_base64("QQ==\n").is_none());
    }

    #[test]
    fn sizes_are_checked_in_order() {
        let limits = AttachmentLimits {
            max_files: 2,
            max_file_bytes: 10,
            max_total_bytes: 15,
        };
        assert_eq!(limits.check_sizes(&[10, 5]), Ok(()));
        assert_eq!(
            limits.check_sizes(&[1, 1, 1]),
            Err(AttachmentError::TooMany { count: 3, limit: 2 })
        );
        let e = limits.check_sizes(&[3, 11]).unwrap_err();
        assert_eq!(e.code(), "attachment_too_large");
        assert_eq!(e.path(), "attachments[1].content_base64");
        let e = limits.check_sizes(&[10, 6]).unwrap_err();
        assert_eq!(e.code(), "attachments_too_large");
        assert_eq!(e.path(), "attachments");
        assert!(e.is_over_limit());
    }

    #[test]
    fn allowances_cover_the_largest_attachments() {
        let limits = AttachmentLimits::default();
        let allowance = limits.payload_allowance();
        assert!(allowance >= base64_len(DEFAULT_MAX_ATTACHMENTS_TOTAL_BYTES));
        assert!(allowance < 22 * 1024 * 1024, "{allowance}");
        assert!(limits.sealed_allowance() > allowance);
        assert_eq!(AttachmentLimits::NONE.payload_allowance(), 0);
        assert_eq!(AttachmentLimits::NONE.sealed_allowance(), 0);
    }
}
