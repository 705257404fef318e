//! The endpoints, on the provider's own paths (so the core speaks one dialect to both):
//!
//! | route | check before going upstream |
//! |---|---|
//! | `POST /v1/authentication/initialize` | `redirectUrl` on the allowlist; `userHash` replaced by the derived one; the answer's `sessionId` sealed into a handle |
//! | `GET /v1/authentication/{handle}/status` | handle genuine, unexpired and the caller's; `pollTimeout` capped |
//! | `POST /v1/authentication/tokens` | as status, then the provider's status (`pollTimeout=0`) must show this very code for this session |
//! | `POST /v1/authentication/unattended` | `loginToken` present; `userHash` replaced by the derived one |
//! | `POST /v1/oauth/token` | grant `authorization_code` or `refresh_token`; `redirect_uri` on the allowlist; Basic auth added |
//! | `GET /healthz` | none (no token needed) |
//!
//! Every route but `/healthz` runs behind the authentication layer (`middleware.rs`), which
//! puts the verified [`Caller`] in the request.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use crate::crypto::constant_time_eq;
use crate::respond::{self, ErrorCode, Refusal};
use crate::state::{AppState, Caller};
use crate::upstream::{PartnerAuth, pass_through};

type App = State<Arc<AppState>>;
type Answer = Result<Response, Refusal>;

/// Reads the body (at most `max_body_bytes`) as a JSON object.
async fn read_object(app: &AppState, body: Body) -> Result<Map<String, Value>, Refusal> {
    let bytes = axum::body::to_bytes(body, app.limits.max_body_bytes)
        .await
        .map_err(|_| Refusal::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Refusal::invalid_request("the body must be a JSON object")),
    }
}

/// A required non-empty string field.
fn string_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a str, Refusal> {
    match obj.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            Err(Refusal::invalid_request(format!("{name} is required")))
        }
        Some(_) => Err(Refusal::invalid_request(format!("{name} must be a string"))),
    }
}

pub(crate) async fn healthz() -> Response {
    respond::json(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
}

pub(crate) async fn not_found() -> Response {
    respond::error(StatusCode::NOT_FOUND, ErrorCode::NotFound)
}

pub(crate) async fn method_not_allowed() -> Response {
    respond::error(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed)
}

fn redirect_not_allowed(note: &'static str) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, ErrorCode::RedirectUrlNotAllowed).note(note)
}

/// `POST /v1/authentication/initialize {"redirectUrl", …}`.
pub(crate) async fn initialize(
    State(app): App,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Answer {
    let mut obj = read_object(&app, body).await?;
    if !app.allowlist.allows(string_field(&obj, "redirectUrl")?) {
        return Err(redirect_not_allowed("redirectUrl not on the allowlist"));
    }
    // The device never chooses the user: whatever userHash it sent is replaced.
    obj.insert("userHash".into(), Value::String(caller.user.hex()));
    let result = app
        .upstream
        .post_json(
            "/v1/authentication/initialize",
            &Value::Object(obj),
            PartnerAuth::Headers,
        )
        .await;
    let answer = match result {
        Ok(answer) if answer.status == StatusCode::OK => answer,
        other => return Ok(pass_through("initialize", other)),
    };
    let mut out = answer
        .json_object()
        .ok_or_else(|| bad_upstream_answer("initialize: not a JSON object"))?;
    let session_id = out
        .get("sessionId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad_upstream_answer("initialize: no sessionId"))?;
    let handle = app
        .seal(session_id, caller)
        .ok_or_else(|| Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal))?;
    out.insert("sessionId".into(), Value::String(handle));
    Ok(respond::json(StatusCode::OK, &Value::Object(out)))
}

fn bad_upstream_answer(why: &'static str) -> Refusal {
    log::warn!(target: "obauth_relay", "unexpected provider answer ({why})");
    Refusal::new(StatusCode::BAD_GATEWAY, ErrorCode::BadUpstreamAnswer).note(why)
}

/// The session behind `handle` for `caller`, or the `403`.
fn open_handle(app: &AppState, handle: &str, caller: Caller) -> Result<String, Refusal> {
    app.open(handle, caller).map_err(Refusal::forbidden)
}

/// `pollTimeout` from the raw query: whole seconds, capped; other parameters are dropped.
fn poll_timeout(app: &AppState, query: Option<&str>) -> Result<Option<u64>, Refusal> {
    let value = query.and_then(|query| {
        query.split('&').find_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name == "pollTimeout").then_some(value)
        })
    });
    let Some(value) = value else {
        return Ok(None);
    };
    let secs = value.parse::<u64>().map_err(|_| {
        Refusal::invalid_request("pollTimeout must be a non-negative whole number of seconds")
    })?;
    Ok(Some(secs.min(app.limits.max_poll_timeout.as_secs())))
}

/// `GET /v1/authentication/{handle}/status[?pollTimeout=N]`.
pub(crate) async fn status(
    State(app): App,
    Extension(caller): Extension<Caller>,
    Path(handle): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let session_id = open_handle(&app, &handle, caller)?;
    let poll = poll_timeout(&app, query.as_deref())?;
    Ok(pass_through(
        "status",
        app.upstream.status(&session_id, poll).await,
    ))
}

/// `POST /v1/authentication/tokens {"code","sessionId":handle}`.
pub(crate) async fn tokens(
    State(app): App,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Answer {
    let obj = read_object(&app, body).await?;
    let code = string_field(&obj, "code")?;
    let session_id = open_handle(&app, string_field(&obj, "sessionId")?, caller)?;
    // The code must be this session's: the provider's own status says which code it issued.
    let check = app.upstream.status(&session_id, Some(0)).await;
    let confirmed = match &check {
        Ok(answer) if answer.status == StatusCode::OK => answer.json_object().is_some_and(|s| {
            s.get("state").and_then(Value::as_str) == Some("Succeeded")
                && s.get("code")
                    .and_then(Value::as_str)
                    .is_some_and(|issued| constant_time_eq(issued, code))
        }),
        _ => return Ok(pass_through("tokens (status check)", check)),
    };
    if !confirmed {
        log::info!(
            target: "obauth_relay",
            "refused a code exchange for user {}: not the code the provider issued for this \
             session",
            caller.user.short()
        );
        return Err(Refusal::forbidden("code not issued for this session"));
    }
    let body = serde_json::json!({ "code": code });
    Ok(pass_through(
        "tokens",
        app.upstream
            .post_json("/v1/authentication/tokens", &body, PartnerAuth::Headers)
            .await,
    ))
}

/// `POST /v1/authentication/unattended {"loginToken", …}`.
pub(crate) async fn unattended(
    State(app): App,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> Answer {
    let mut obj = read_object(&app, body).await?;
    string_field(&obj, "loginToken")?;
    obj.insert("userHash".into(), Value::String(caller.user.hex()));
    Ok(pass_through(
        "unattended",
        app.upstream
            .post_json(
                "/v1/authentication/unattended",
                &Value::Object(obj),
                PartnerAuth::Headers,
            )
            .await,
    ))
}

/// `POST /v1/oauth/token` (Aiia Data): `authorization_code` and `refresh_token` grants.
pub(crate) async fn oauth_token(State(app): App, body: Body) -> Answer {
    let mut obj = read_object(&app, body).await?;
    // The client authenticates with the relay's Basic header only.
    obj.remove("client_id");
    obj.remove("client_secret");
    let redirect_required = match string_field(&obj, "grant_type")? {
        "authorization_code" => true,
        "refresh_token" => false,
        _ => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::UnsupportedGrantType,
            ));
        }
    };
    match obj.get("redirect_uri") {
        None if !redirect_required => {}
        None => return Err(Refusal::invalid_request("redirect_uri is required")),
        Some(Value::String(uri)) if app.allowlist.allows(uri) => {}
        Some(_) => return Err(redirect_not_allowed("redirect_uri not on the allowlist")),
    }
    Ok(pass_through(
        "oauth token",
        app.upstream
            .post_json("/v1/oauth/token", &Value::Object(obj), PartnerAuth::Basic)
            .await,
    ))
}
