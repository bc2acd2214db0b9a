//! Probes, metrics and the API's OpenAPI document.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::Monitor;
use crate::node::NodeContext;

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "alive" }))
}

/// `GET /readyz`: the database answers, the directory permits traffic, the key is loaded (it
/// is, or the node would not have started). 503 with the failing checks otherwise.
pub async fn readyz(State(ctx): State<Arc<NodeContext>>) -> Response {
    let database = match ctx.store.health().await {
        Ok(_) => json!({ "ok": true }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            json!({ "ok": false, "problem": "the database does not answer" })
        }
    };
    let health = ctx.directory.snapshot().health(ctx.clock.now());
    let directory = json!({
        "ok": health.permits_traffic(),
        "state": health.code(),
        "warning": health.warning(),
    });
    let key = json!({ "ok": true, "fingerprint": ctx.work.fingerprint() });
    let ready = database["ok"] == true && directory["ok"] == true;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({
            "status": if ready { "ready" } else { "not_ready" },
            "node": ctx.me.to_string(),
            "checks": { "database": database, "directory": directory, "key": key },
        })),
    )
        .into_response()
}

/// The OpenAPI 3.1 document of the node's HTTP API (`docs/api/openapi.json`, compiled in).
pub const OPENAPI_JSON: &str = crate::routes::openapi::TEMPLATE;

/// `GET /api/v1/openapi.json`: the API's description (public: it holds no data), with this
/// node's limits (the committed file as it is for a node with the default configuration).
pub async fn openapi(State(ctx): State<Arc<NodeContext>>) -> Response {
    use crate::routes::openapi::{NodeLimits, render};
    let limits = NodeLimits::of(&ctx.config.file);
    let body = if limits == NodeLimits::defaults() {
        OPENAPI_JSON.to_owned()
    } else {
        render(limits)
    };
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /metrics` (monitor or admin token): Prometheus text format.
pub async fn metrics(State(ctx): State<Arc<NodeContext>>, _who: Monitor) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        ctx.metrics.render(),
    )
        .into_response()
}
