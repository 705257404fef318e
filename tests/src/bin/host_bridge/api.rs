//! The bridge's JSON-over-HTTP API (loopback only), which the browser tests call.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | `{"bridge": "obauth-host-bridge", "externalAppHosts": [...]}` |
//! | `POST /flows` | body [`NewFlow`]; starts a sandbox and the flow, answers once the flow waits for the user: `{"id", "authUrl", "redirectUrl"}` |
//! | `POST /flows/{id}/navigate` | body `{"url"}`: the WebView's question; answers the core's decision `{"decision": "allow" \| "intercept" \| "open_externally" \| "block", "outcome"?, "seq", "atMs", "url"}` |
//! | `GET /flows/{id}` | the flow's report: state, every state seen, every decision, the result, the provider's counters |
//! | `GET /flows/{id}/wait?timeoutMs=N` | the same report, once the flow has finished (or after N ms) |
//! | `DELETE /flows/{id}` | forget the flow (cancelled if still running) and stop its sandbox |
//! | `GET /bank-app-link.html`, `GET /bank-help.html` | the test pages of [`crate::pages`] |
//!
//! Errors are `{"error": "..."}` with a 4xx/5xx status.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::flows::{EXTERNAL_APP_HOSTS, Failure, Flows, NewFlow};
use crate::pages;

/// The bridge's shared state.
#[derive(Clone, Default)]
pub struct Bridge {
    flows: Arc<Flows>,
}

/// The router of every route above.
pub fn router(bridge: Bridge) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/flows", post(create))
        .route("/flows/{id}", get(report).delete(remove))
        .route("/flows/{id}/navigate", post(navigate))
        .route("/flows/{id}/wait", get(wait))
        .route(
            "/bank-app-link.html",
            get(|| async { html(pages::bank_app_link()) }),
        )
        .route(
            "/bank-help.html",
            get(|| async { html(pages::bank_help()) }),
        )
        .fallback(|| async { error((404, "no such route".to_owned())) })
        .with_state(bridge)
}

fn html(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

fn error((status, message): Failure) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({ "error": message }))).into_response()
}

fn unknown(id: &str) -> Response {
    error((404, format!("unknown flow {id}")))
}

async fn index() -> Json<Value> {
    Json(json!({
        "bridge": "obauth-host-bridge",
        "externalAppHosts": EXTERNAL_APP_HOSTS,
    }))
}

async fn create(
    State(bridge): State<Bridge>,
    body: Result<Json<NewFlow>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(request) = match body {
        Ok(body) => body,
        Err(e) => return error((400, e.body_text())),
    };
    match bridge.flows.create(request).await {
        Ok(flow) => {
            let report = flow.report();
            Json(json!({
                "id": flow.id(),
                "authUrl": flow.auth_url(),
                "redirectUrl": report["redirectUrl"],
                "sandboxUrl": report["sandbox"]["baseUrl"],
            }))
            .into_response()
        }
        Err(failure) => error(failure),
    }
}

#[derive(Deserialize)]
struct NavigateBody {
    url: String,
}

async fn navigate(
    State(bridge): State<Bridge>,
    Path(id): Path<String>,
    body: Result<Json<NavigateBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Some(flow) = bridge.flows.get(&id) else {
        return unknown(&id);
    };
    match body {
        Ok(Json(body)) => Json(flow.navigate(&body.url)).into_response(),
        Err(e) => error((400, e.body_text())),
    }
}

async fn report(State(bridge): State<Bridge>, Path(id): Path<String>) -> Response {
    match bridge.flows.get(&id) {
        Some(flow) => Json(flow.report()).into_response(),
        None => unknown(&id),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WaitQuery {
    timeout_ms: Option<u64>,
}

async fn wait(
    State(bridge): State<Bridge>,
    Path(id): Path<String>,
    Query(query): Query<WaitQuery>,
) -> Response {
    let Some(flow) = bridge.flows.get(&id) else {
        return unknown(&id);
    };
    let limit = Duration::from_millis(query.timeout_ms.unwrap_or(10_000).min(60_000));
    flow.wait(limit).await;
    Json(flow.report()).into_response()
}

async fn remove(State(bridge): State<Bridge>, Path(id): Path<String>) -> Response {
    if bridge.flows.remove(&id) {
        Json(json!({ "removed": id })).into_response()
    } else {
        unknown(&id)
    }
}
