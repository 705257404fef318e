//! The `/_sandbox` control API: the Rust test handle's powers over HTTP, for test drivers that
//! are not Rust (Kotlin on the JVM, Node with a browser) and talk to `obauth sandbox --port N`.
//!
//! | route | body | does |
//! |---|---|---|
//! | `POST /_sandbox/script` | `{"userHash","script":"approve\|fail\|cancel\|not_applicable\|never\|page","delayMs"}` | [`crate::Sandbox::script_user`] |
//! | `POST /_sandbox/faults` | `{"endpoint","fault":"server_error\|too_many_requests\|delay\|malformed_json\|drop_connection\|invalid_input","status","retryAfterSecs","delayMs","field","times"}` | [`crate::Sandbox::inject_faults`] |
//! | `DELETE /_sandbox/faults` | – | [`crate::Sandbox::clear_faults`] |
//! | `GET /_sandbox/stats` | – | [`crate::Sandbox::stats`] (camelCase) plus pending faults |
//! | `GET /_sandbox/sessions` | – | `{"sessions":[{"sessionId","userHash","state","exchanges","succeededAt"}]}` |
//! | `POST /_sandbox/sessions/{id}/complete` | `{"outcome":"approve\|fail\|cancel\|not_applicable"}` | [`crate::Sandbox::complete_session`]; 404 unknown, 409 not in progress |
//! | `POST /_sandbox/oauth/consent` | `{"script":"page\|approve\|cancel\|return_without_code"}` | [`crate::Sandbox::script_consent`] |
//! | `POST /_sandbox/unattended` | `{"userHash","supported":bool}` | [`crate::Sandbox::set_unattended_support`] |
//! | `POST /_sandbox/login-tokens/expire` | – | [`crate::Sandbox::expire_login_tokens`]; answers `{"expired":N}` |
//! | `GET /_sandbox/correlation` | – | [`crate::Sandbox::correlation_log`]: `{"requests":[{"endpoint","correlationId"}]}` |
//! | `POST /_sandbox/oauth/revoke-refresh-tokens` | – | [`crate::Sandbox::revoke_refresh_tokens`]; answers `{"revoked":N}` |
//! | `GET /_sandbox/oauth/token-requests` | – | [`crate::Sandbox::token_requests`]: `{"requests":[{"endpoint","path","grantType","clientId","authMethod","status","error"}]}` |
//!
//! Endpoint names for `/_sandbox/faults` are those of [`Endpoint::as_str`] (`oauth_connect`,
//! `oauth_consent`, `oauth_decision`, `oauth_token`, `discovery`, `jwks`, `oidc_authorize`,
//! `oidc_decision`, `oidc_token`, `userinfo`, besides the supervised-login ones) or the aliases
//! its `FromStr` accepts.
//!
//! No auth, no faults, no `Content-Type` requirement: this is test plumbing, not the provider.
//! Bad input gets `400 {"error":"InvalidRequest","message":...}`.

use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::http::respond::{self, ApiError};
use crate::model::endpoint::{Endpoint, UnknownEndpoint};
use crate::model::fault::Fault;
use crate::model::store::CompleteError;
use crate::model::user::{ConsentScript, Outcome, UserScript};
use crate::state::App;
use crate::timefmt;

/// The control routes.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/_sandbox/script", post(script))
        .route("/_sandbox/faults", post(add_faults).delete(clear_faults))
        .route("/_sandbox/stats", get(stats))
        .route("/_sandbox/sessions", get(sessions))
        .route("/_sandbox/sessions/{session_id}/complete", post(complete))
        .route("/_sandbox/oauth/consent", post(consent_script))
        .route(
            "/_sandbox/oauth/revoke-refresh-tokens",
            post(revoke_refresh_tokens),
        )
        .route("/_sandbox/oauth/token-requests", get(token_requests))
        .route("/_sandbox/unattended", post(unattended_support))
        .route("/_sandbox/login-tokens/expire", post(expire_login_tokens))
        .route("/_sandbox/correlation", get(correlation_log))
}

async fn unattended_support(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
    let obj = respond::json_object(&body)?;
    let user_hash = respond::string_field(&obj, "userHash")?;
    let supported = obj
        .get("supported")
        .and_then(Value::as_bool)
        .ok_or_else(|| ApiError::invalid_request("supported must be true or false"))?;
    app.store().set_unattended_support(user_hash, supported);
    Ok(ok())
}

async fn expire_login_tokens(State(app): State<App>) -> Response {
    let expired = app.store().expire_login_tokens(Instant::now());
    respond::json(StatusCode::OK, &json!({ "expired": expired }))
}

async fn correlation_log(State(app): State<App>) -> Response {
    let list: Vec<Value> = app
        .store()
        .correlation_log()
        .into_iter()
        .map(|r| json!({ "endpoint": r.endpoint, "correlationId": r.correlation_id }))
        .collect();
    respond::json(StatusCode::OK, &json!({ "requests": list }))
}

fn ok() -> Response {
    respond::json(StatusCode::OK, &json!({ "ok": true }))
}

/// The value named `name` in `choices`; otherwise an error naming the `kind` and every choice:
/// `unknown outcome 'x' (expected approve, fail, cancel or not_applicable)`.
fn choose<T: Clone>(kind: &str, name: &str, choices: &[(&str, T)]) -> Result<T, String> {
    if let Some((_, value)) = choices.iter().find(|(n, _)| *n == name) {
        return Ok(value.clone());
    }
    let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
    let expected = match names.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    Err(format!("unknown {kind} '{name}' (expected {expected})"))
}

/// Parses a control script name and delay into a [`UserScript`].
fn parse_script(name: &str, delay: Duration) -> Result<UserScript, String> {
    choose(
        "script",
        name,
        &[
            ("approve", UserScript::ApproveAfter(delay)),
            ("fail", UserScript::FailAfter(delay)),
            ("cancel", UserScript::CancelAfter(delay)),
            ("not_applicable", UserScript::NotApplicableAfter(delay)),
            ("never", UserScript::NeverFinish),
            ("page", UserScript::WaitForPage),
        ],
    )
}

/// Parses an outcome name.
fn parse_outcome(name: &str) -> Result<Outcome, String> {
    choose(
        "outcome",
        name,
        &[
            ("approve", Outcome::Approve),
            ("fail", Outcome::Fail),
            ("cancel", Outcome::Cancel),
            ("not_applicable", Outcome::NotApplicable),
        ],
    )
}

async fn script(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
    let obj = respond::json_object(&body)?;
    let user_hash = respond::string_field(&obj, "userHash")?;
    let name = respond::string_field(&obj, "script")?;
    let delay = Duration::from_millis(respond::opt_u64_field(&obj, "delayMs")?.unwrap_or(0));
    let script = parse_script(name, delay).map_err(ApiError::invalid_request)?;
    app.store().script_user(user_hash, script);
    Ok(ok())
}

async fn add_faults(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
    let obj = respond::json_object(&body)?;
    let endpoint: Endpoint = respond::string_field(&obj, "endpoint")?
        .parse()
        .map_err(|e: UnknownEndpoint| ApiError::invalid_request(e.to_string()))?;
    let fault = match respond::string_field(&obj, "fault")? {
        "server_error" => {
            let status = respond::opt_u64_field(&obj, "status")?.unwrap_or(500);
            let status = u16::try_from(status)
                .ok()
                .filter(|s| (100..=999).contains(s))
                .ok_or_else(|| ApiError::invalid_request("status must be an HTTP status code"))?;
            Fault::ServerError(status)
        }
        "too_many_requests" => Fault::TooManyRequests {
            retry_after_secs: respond::opt_u64_field(&obj, "retryAfterSecs")?.unwrap_or(1),
        },
        "delay" => {
            let ms = respond::opt_u64_field(&obj, "delayMs")?
                .ok_or_else(|| ApiError::invalid_request("delayMs is required for delay"))?;
            Fault::Delay(Duration::from_millis(ms))
        }
        "malformed_json" => Fault::MalformedJson,
        "drop_connection" => Fault::DropConnection,
        "invalid_input" => Fault::InvalidInput {
            field: respond::string_field(&obj, "field")?.to_owned(),
        },
        other => {
            return Err(ApiError::invalid_request(format!(
                "unknown fault '{other}' (expected server_error, too_many_requests, delay, \
                 malformed_json, drop_connection or invalid_input)"
            )));
        }
    };
    let times = respond::opt_u64_field(&obj, "times")?.unwrap_or(1);
    let times = usize::try_from(times)
        .ok()
        .filter(|t| *t <= 10_000)
        .ok_or_else(|| ApiError::invalid_request("times must be at most 10000"))?;
    app.faults.push(endpoint, fault, times);
    Ok(ok())
}

async fn clear_faults(State(app): State<App>) -> Response {
    app.faults.clear();
    ok()
}

async fn stats(State(app): State<App>) -> Response {
    let s = app.store().stats();
    let pending: serde_json::Map<String, Value> = app
        .faults
        .pending()
        .into_iter()
        .map(|(e, n)| (e.as_str().to_owned(), json!(n)))
        .collect();
    respond::json(
        StatusCode::OK,
        &json!({
            "initializeRequests": s.initialize_requests,
            "statusRequests": s.status_requests,
            "tokenRequests": s.token_requests,
            "successfulExchanges": s.successful_exchanges,
            "pageViews": s.page_views,
            "decisionRequests": s.decision_requests,
            "accountsRequests": s.accounts_requests,
            "oauthConnectRequests": s.oauth_connect_requests,
            "oauthConsentPageViews": s.oauth_consent_page_views,
            "oauthDecisionRequests": s.oauth_decision_requests,
            "oauthTokenRequests": s.oauth_token_requests,
            "discoveryRequests": s.discovery_requests,
            "jwksRequests": s.jwks_requests,
            "oidcAuthorizeRequests": s.oidc_authorize_requests,
            "oidcDecisionRequests": s.oidc_decision_requests,
            "oidcTokenRequests": s.oidc_token_requests,
            "userinfoRequests": s.userinfo_requests,
            "revocationRequests": s.revocation_requests,
            "endSessionRequests": s.end_session_requests,
            "oauthCodeExchanges": s.oauth_code_exchanges,
            "refreshGrants": s.refresh_grants,
            "clientCredentialsGrants": s.client_credentials_grants,
            "clientSecretBasicRequests": s.client_secret_basic_requests,
            "clientSecretPostRequests": s.client_secret_post_requests,
            "unattendedRequests": s.unattended_requests,
            "unattendedLogins": s.unattended_logins,
            "pendingFaults": pending,
        }),
    )
}

async fn sessions(State(app): State<App>) -> Response {
    let now = Instant::now();
    let wall_now = SystemTime::now();
    let infos = app.store().infos(now);
    let list: Vec<Value> = infos
        .into_iter()
        .map(|s| {
            let succeeded_at = s.succeeded_at.map(|t| {
                let ago = now.saturating_duration_since(t);
                timefmt::iso_z_7(wall_now.checked_sub(ago).unwrap_or(wall_now))
            });
            json!({
                "sessionId": s.session_id,
                "userHash": s.user_hash,
                "state": s.state.as_str(),
                "exchanges": s.exchanges,
                "succeededAt": succeeded_at,
            })
        })
        .collect();
    respond::json(StatusCode::OK, &json!({ "sessions": list }))
}

async fn complete(
    State(app): State<App>,
    Path(session_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let obj = respond::json_object(&body)?;
    let outcome = parse_outcome(respond::string_field(&obj, "outcome")?)
        .map_err(ApiError::invalid_request)?;
    let result = app.store().complete(&session_id, outcome, Instant::now());
    match result {
        Ok(_) => {
            let state = app
                .store()
                .info(&session_id, Instant::now())
                .map(|i| i.state.as_str());
            Ok(respond::json(
                StatusCode::OK,
                &json!({ "completed": true, "state": state }),
            ))
        }
        Err(CompleteError::NotFound) => Err(ApiError::not_found()),
        Err(CompleteError::Finished(state)) => Err(ApiError::with_message(
            StatusCode::CONFLICT,
            "Conflict",
            format!("the session already finished as {}", state.as_str()),
        )),
        Err(CompleteError::StillWaiting) => Err(ApiError::with_message(
            StatusCode::CONFLICT,
            "Conflict",
            "the session's script is NeverFinish",
        )),
    }
}

/// Parses a consent script name. `return_without_code` (the Aiia connect flow's cancel or bank
/// failure, `state` only) is accepted besides the three basic scripts the error message lists.
fn parse_consent_script(name: &str) -> Result<ConsentScript, String> {
    if name == "return_without_code" {
        return Ok(ConsentScript::ReturnWithoutCode);
    }
    choose(
        "consent script",
        name,
        &[
            ("page", ConsentScript::Page),
            ("approve", ConsentScript::Approve),
            ("cancel", ConsentScript::Cancel),
        ],
    )
}

async fn consent_script(State(app): State<App>, body: Bytes) -> Result<Response, ApiError> {
    let obj = respond::json_object(&body)?;
    let script = parse_consent_script(respond::string_field(&obj, "script")?)
        .map_err(ApiError::invalid_request)?;
    app.store().oauth.set_consent_script(script);
    Ok(ok())
}

async fn revoke_refresh_tokens(State(app): State<App>) -> Response {
    let revoked = app.store().oauth.revoke_refresh_tokens();
    respond::json(StatusCode::OK, &json!({ "revoked": revoked }))
}

async fn token_requests(State(app): State<App>) -> Response {
    let log = app.store().oauth.log();
    let list: Vec<Value> = log
        .into_iter()
        .map(|r| {
            json!({
                "endpoint": r.endpoint.as_str(),
                "path": r.path,
                "grantType": r.grant_type,
                "clientId": r.client_id,
                "authMethod": r.auth_method.as_str(),
                "status": r.status,
                "error": r.error,
            })
        })
        .collect();
    respond::json(StatusCode::OK, &json!({ "requests": list }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_outcomes_parse() {
        let d = Duration::from_millis(5);
        assert_eq!(
            parse_script("approve", d).unwrap(),
            UserScript::ApproveAfter(d)
        );
        assert_eq!(parse_script("never", d).unwrap(), UserScript::NeverFinish);
        assert_eq!(parse_script("page", d).unwrap(), UserScript::WaitForPage);
        assert!(parse_script("maybe", d).is_err());
        assert_eq!(
            parse_outcome("not_applicable").unwrap(),
            Outcome::NotApplicable
        );
        assert!(parse_outcome("never").is_err());
        assert_eq!(
            parse_consent_script("approve").unwrap(),
            ConsentScript::Approve
        );
        assert!(parse_consent_script("maybe").is_err());
        assert_eq!(
            parse_outcome("never").unwrap_err(),
            "unknown outcome 'never' (expected approve, fail, cancel or not_applicable)"
        );
        assert_eq!(
            parse_script("maybe", d).unwrap_err(),
            "unknown script 'maybe' (expected approve, fail, cancel, not_applicable, never or page)"
        );
        assert_eq!(
            parse_consent_script("maybe").unwrap_err(),
            "unknown consent script 'maybe' (expected page, approve or cancel)"
        );
    }
}
