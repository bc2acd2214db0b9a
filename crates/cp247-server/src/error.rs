//! One error type for the HTTP API: a status, a stable machine code and a sentence.
//!
//! `{"error":"ticket_not_found","message":"..."}` — never internals. Server-side failures are
//! logged with their cause chain and answered with a generic sentence.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An API error response.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    extra: Option<(&'static str, Value)>,
}

impl ApiError {
    /// An error with `status`, stable `code` and a sentence.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            extra: None,
        }
    }

    /// Adds one structured field to the body (e.g. the list of problems of a document).
    pub fn with(mut self, key: &'static str, value: Value) -> Self {
        self.extra = Some((key, value));
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The structured field added with [`ApiError::with`], if it is `key`.
    pub fn field(&self, key: &str) -> Option<&Value> {
        self.extra
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// No or unknown bearer token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API token is required: send it as 'Authorization: Bearer <token>'",
        )
    }

    /// The token's role does not allow this.
    pub fn forbidden(needed: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this API token's role does not allow this; it needs the {needed} role"),
        )
    }

    /// The ticket does not exist or is not visible to the caller (the same answer for both).
    pub fn ticket_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ticket_not_found",
            format!("there is no ticket {id} on this node"),
        )
    }

    /// A malformed request.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A well-formed request that cannot be carried out as asked.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// The node cannot serve this now (database, directory).
    pub fn unavailable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    /// A failure inside the node: the cause is logged, the caller gets a generic sentence.
    pub fn internal(context: &str, cause: &dyn std::error::Error) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(context, error = %chain, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the node failed to process the request; the cause is in its log",
        )
    }

    /// A store failure: unavailable (timeouts, connection) or internal.
    pub fn store(context: &str, e: &cp247_store::StoreError) -> Self {
        match e {
            cp247_store::StoreError::NotFound { what, key } => Self::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("there is no {what} {key}"),
            ),
            other => {
                let mut shown = Self::internal(context, other);
                shown.status = StatusCode::SERVICE_UNAVAILABLE;
                shown.code = "store_unavailable";
                shown.message =
                    "the node's database cannot serve this request now; try again".into();
                shown
            }
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_client_error() {
            tracing::debug!(
                status = self.status.as_u16(),
                code = self.code,
                "request refused"
            );
        }
        let mut body = json!({ "error": self.code, "message": self.message });
        if let (Some((key, value)), Some(map)) = (self.extra, body.as_object_mut()) {
            map.insert(key.to_owned(), value);
        }
        let mut response = (self.status, Json(body)).into_response();
        match self.status {
            StatusCode::UNAUTHORIZED => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            }
            _ => {}
        }
        response
    }
}

/// A problem of a reply, as the API shows it: code, field path, severity and the text in each
/// language.
pub fn problems_json(report: &cp247_case::Report) -> Value {
    Value::Array(
        report
            .problems()
            .iter()
            .map(|p| {
                json!({
                    "code": p.code().as_str(),
                    "path": p.path().to_string(),
                    "severity": format!("{:?}", p.severity()).to_lowercase(),
                    "message": {
                        "en": p.message(cp247_i18n::Lang::En),
                        "fr": p.message(cp247_i18n::Lang::Fr),
                    },
                })
            })
            .collect(),
    )
}

/// Case work's errors, answered once for the whole API: each kind has its status, each error
/// its stable code; problems and transition texts travel as structured fields.
impl From<cp247_casework::Error> for ApiError {
    fn from(e: cp247_casework::Error) -> Self {
        use cp247_casework::{Error, ErrorKind};
        let status = match e.kind() {
            ErrorKind::Invalid | ErrorKind::Refused => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Transition | ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let shown = ApiError::new(status, e.code(), e.to_string());
        match e {
            Error::InvalidReply(report) => shown.with("problems", problems_json(&report)),
            Error::Attachments { problems, .. } => shown.with(
                "problems",
                Value::Array(problems.iter().map(|p| p.json()).collect()),
            ),
            Error::Transition(t) => shown.with(
                "messages",
                json!({
                    "en": t.message(cp247_i18n::Lang::En),
                    "fr": t.message(cp247_i18n::Lang::Fr),
                }),
            ),
            Error::Refused { .. }
            | Error::NotFound { .. }
            | Error::Conflict
            | Error::Unavailable { .. }
            | Error::Internal => shown,
        }
    }
}
