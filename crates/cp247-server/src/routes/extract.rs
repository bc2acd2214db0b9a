//! The API's extractors: axum's `Query`, `Path` and `Json`, whose refusals are answered with the
//! API's JSON error body (a stable code and a sentence) instead of axum's `text/plain` ones.
//!
//! | refusal | status | code |
//! | --- | --- | --- |
//! | a query string that does not fit the operation's parameters | 400 | `invalid_query` |
//! | a path segment that is not text (bad percent-encoding) or not of its type | 400 | `invalid_path` |
//! | a body without `Content-Type: application/json` | 415 | `unsupported_media_type` |
//! | a body over the node's API body limit | 413 | `too_large` |
//! | a body that is not JSON, or not JSON of the operation's shape | 400 | `invalid_json` |
//!
//! The sentences say what is wrong with the caller's own input (serde's account of it), never
//! anything of the node. [`json_errors`] is the net under them: any other refusal of an API
//! path that is not JSON is rewritten to the same body.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// At most this many characters of a refusal's detail are quoted back.
const DETAIL_CHARS: usize = 300;

fn detail(text: &str) -> String {
    let mut out: String = text.chars().take(DETAIL_CHARS).collect();
    if text.chars().count() > DETAIL_CHARS {
        out.push('…');
    }
    out
}

/// The query string, parsed into `T`; a refusal is 400 `invalid_query`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(query_rejection)
    }
}

/// A refused query string.
pub fn query_rejection(e: QueryRejection) -> ApiError {
    let text = e.body_text();
    let reason = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    ApiError::bad_request(
        "invalid_query",
        format!(
            "the query string does not fit this operation's parameters: {}",
            detail(reason)
        ),
    )
}

/// The path's parameters, parsed into `T`; a refusal is 400 `invalid_path`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(path_rejection)
    }
}

/// A refused path.
pub fn path_rejection(e: PathRejection) -> ApiError {
    match e {
        PathRejection::FailedToDeserializePathParams(inner) => ApiError::bad_request(
            "invalid_path",
            format!(
                "a segment of the path is not valid: {}",
                detail(&inner.body_text())
            ),
        ),
        // Only a route without parameters could ask for them: a fault of the node.
        PathRejection::MissingPathParams(inner) => ApiError::internal("reading the path", &inner),
        other => ApiError::bad_request(
            "invalid_path",
            format!("the path cannot be read: {}", detail(&other.body_text())),
        ),
    }
}

/// A JSON body, parsed into `T`; refusals as the table above says.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(value)| Self(value))
            .map_err(json_rejection)
    }
}

/// A refused JSON body.
pub fn json_rejection(e: JsonRejection) -> ApiError {
    match e {
        JsonRejection::MissingJsonContentType(_) => unsupported_media_type(),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        JsonRejection::JsonDataError(inner) => ApiError::bad_request(
            "invalid_json",
            format!(
                "the body does not fit this operation: {}",
                detail(&inner.body_text())
            ),
        ),
        JsonRejection::JsonSyntaxError(inner) => ApiError::bad_request(
            "invalid_json",
            format!("the body is not JSON: {}", detail(&inner.body_text())),
        ),
        other => ApiError::bad_request(
            "invalid_json",
            format!("the body cannot be read: {}", detail(&other.body_text())),
        ),
    }
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "the body must be JSON, sent with 'Content-Type: application/json'",
    )
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "the request body is larger than this node accepts (limits.max_api_body_bytes plus what the attachment limits allow)",
    )
}

/// True for the paths whose answers are the API's (the REST API, the federation endpoint, the
/// probes and metrics): their errors are JSON. Web pages answer in HTML.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/federation/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The net under the extractors (a middleware around the whole router): an error answer of an
/// API path that is not JSON (a refusal of a layer such as the request timeout, or of an
/// extractor this module does not wrap) becomes the API's error body with a code for its
/// status. Its own text is dropped: it was not written for callers.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let api = is_api_path(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    if !api || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let mut fixed = match status {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => unsupported_media_type(),
        StatusCode::REQUEST_TIMEOUT => ApiError::new(
            status,
            "timeout",
            "the request took longer than this node allows (limits.request_timeout)",
        ),
        s if s.is_server_error() => ApiError::new(
            s,
            "internal_error",
            "the node failed to process the request; the cause is in its log",
        ),
        s => ApiError::new(s, "bad_request", "the request cannot be read"),
    }
    .into_response();
    // Headers the refusal set for the caller (Allow, WWW-Authenticate, Retry-After) stay.
    let (parts, _) = response.into_parts();
    let own: Vec<header::HeaderName> = fixed.headers().keys().cloned().collect();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && !own.contains(name) {
            fixed.headers_mut().append(name.clone(), value.clone());
        }
    }
    fixed
}
