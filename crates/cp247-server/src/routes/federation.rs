//! The federation endpoint: peers post sealed messages; anyone may read the node's identity.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cp247_domain::Instant;
use cp247_federation::listen::ClientAddr;
use cp247_federation::wire::{AcceptedBody, ErrorBody, IdentityBody, Outcome, SEALED_MEDIA_TYPE};
use cp247_transport::{Accepted, Refusal};

use crate::node::NodeContext;
use crate::throttle::Source;

fn refusal_response(refusal: &Refusal, busy_retry_after_secs: u64) -> Response {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        Json(ErrorBody {
            error: refusal.code.to_owned(),
            message: refusal.message.clone(),
        }),
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // A busy node frees a slot within seconds; a directory or store problem takes longer.
        let retry_after = if refusal.code == "inbound_busy" {
            HeaderValue::from(busy_retry_after_secs)
        } else {
            HeaderValue::from_static("60")
        };
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    response
}

fn plain_refusal(status: StatusCode, code: &'static str, message: String) -> Response {
    (
        status,
        Json(ErrorBody {
            error: code.to_owned(),
            message,
        }),
    )
        .into_response()
}

/// `POST /federation/v1/messages`: the body is the sealed message (armored OpenPGP).
pub async fn post_message(
    State(ctx): State<Arc<NodeContext>>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    if content_type.as_deref() != Some(SEALED_MEDIA_TYPE) {
        ctx.metrics.inbox("unsupported_media_type", true);
        return plain_refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("post the sealed message with Content-Type: {SEALED_MEDIA_TYPE}"),
        );
    }
    let limit = ctx.inbound.limits.max_sealed_bytes;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => {
            ctx.metrics.inbox("too_large", true);
            return plain_refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "the message is larger than the {limit} bytes this node accepts, or its upload was cut"
                ),
            );
        }
    };
    let directory = ctx.directory.snapshot();
    // Refusals are counted per source (ADR 0026): the TCP peer, or the address a trusted
    // proxy wrote ([web]); an IPv6 source counts by its /64.
    let source = match client {
        Some(Extension(c)) => Source::of(ctx.web.client_addresses.client(c.0.ip(), &headers)),
        None => Source::of(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
    };
    match ctx
        .inbound
        .receive_from(Vec::from(bytes), directory, source.as_str())
        .await
    {
        Ok(received) => {
            let outcome = match &received {
                Accepted::New { .. } => Outcome::Accepted,
                Accepted::Duplicate { .. } => Outcome::Duplicate,
            };
            let receipt = String::from_utf8_lossy(received.receipt()).into_owned();
            (StatusCode::OK, Json(AcceptedBody { outcome, receipt })).into_response()
        }
        Err(refusal) => refusal_response(&refusal, ctx.inbound.admission.retry_after_secs()),
    }
}

/// `GET /federation/v1/identity`.
pub async fn identity(State(ctx): State<Arc<NodeContext>>) -> Json<IdentityBody> {
    let directory_serial = ctx
        .directory
        .snapshot()
        .current()
        .map(|d| d.directory().serial());
    Json(IdentityBody {
        // The level this node reads (ADR 0028); `cp247-federation/1` is what every node
        // said before levels existed.
        protocol: ctx.work.level().protocol(),
        address: ctx.me,
        cert: ctx.work.cert_armored(),
        fingerprint: ctx.work.fingerprint(),
        server_time: Instant::utc(ctx.clock.now()),
        directory_serial,
    })
}
