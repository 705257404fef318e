//! Unattended login: a new session from a stored login token, without the user.
//!
//! `POST /v1/authentication/unattended` with the partner headers and `{"userHash","loginToken"}`
//! answers like `/v1/authentication/tokens`: a session access token and a *new* login token,
//! which replaces the stored one. It works only where the bank supports it — the login token
//! says so in `supportsUnattended` — and while the login token lives.
//!
//! What integrations do by hand is written here once, as data, so every binding behaves alike:
//! [`plan`] says whether the stored session is still good, whether an unattended login is worth
//! sending, or why a supervised login is needed ([`SupervisedLoginReason`]); [`request`] builds
//! the call; [`read`] reads its answer, turning the provider's refusal of the login token into
//! [`Error::LoginTokenRejected`] and that into a reason ([`SupervisedLoginReason::of`]).
//!
//! An unattended login is not idempotent (the provider replaces the login token), so a caller
//! retries it only after an explicit provider answer that it was not processed (5xx, 429),
//! never after a lost connection or a time-out, when the old token may already be spent.

use std::time::Duration;

use crate::config::Credentials;
use crate::correlation::CorrelationId;
use crate::error::Error;
use crate::http::{
    Failure, HttpRequest, HttpResult, Method, RequestKind, TransportFailure, classify,
};
use crate::secret::Secret;
use crate::timestamp::Timestamp;

use super::api::parse_tokens_of;
use super::state::{CodeSource, SupervisedTokens};

/// Why a supervised login is needed instead of an unattended one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SupervisedLoginReason {
    /// The bank does not support unattended logins (`supportsUnattended` is false, or the
    /// provider said so).
    UnattendedNotSupported,
    /// The login token has expired.
    LoginTokenExpired,
    /// The provider refused the login token (unknown, replaced, or another user's).
    LoginTokenRejected,
    /// No tokens are stored: the user has not signed in yet (or signed out).
    NoStoredLogin,
}

impl SupervisedLoginReason {
    /// The reason behind a refusal: [`Error::LoginTokenRejected`] by its provider code; `None`
    /// for every other error (those are not the login token's fault).
    pub fn of(error: &Error) -> Option<Self> {
        let Error::LoginTokenRejected { code } = error else {
            return None;
        };
        let code = code.as_deref().unwrap_or_default();
        Some(if code.eq_ignore_ascii_case("LoginTokenExpired") {
            SupervisedLoginReason::LoginTokenExpired
        } else if code.eq_ignore_ascii_case("UnattendedNotSupported") {
            SupervisedLoginReason::UnattendedNotSupported
        } else {
            SupervisedLoginReason::LoginTokenRejected
        })
    }

    /// `unattended_not_supported`, `login_token_expired`, `login_token_rejected` or
    /// `no_stored_login`.
    pub fn as_str(self) -> &'static str {
        match self {
            SupervisedLoginReason::UnattendedNotSupported => "unattended_not_supported",
            SupervisedLoginReason::LoginTokenExpired => "login_token_expired",
            SupervisedLoginReason::LoginTokenRejected => "login_token_rejected",
            SupervisedLoginReason::NoStoredLogin => "no_stored_login",
        }
    }
}

/// What to do with stored supervised-login tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// The session is valid for longer than the margin: use it.
    UseSession,
    /// The session has (nearly) expired; the login token may start a new one.
    Unattended,
    /// Neither: the user must sign in again.
    SupervisedLogin(SupervisedLoginReason),
}

/// Decides from the stored tokens alone (no request): the session while it is valid for more
/// than `margin`, then an unattended login if the login token supports it and lives.
pub fn plan(tokens: &SupervisedTokens, now: Timestamp, margin: Duration) -> Plan {
    if now.plus(margin) < tokens.session.expires() {
        Plan::UseSession
    } else if !tokens.login.supports_unattended {
        Plan::SupervisedLogin(SupervisedLoginReason::UnattendedNotSupported)
    } else if now >= tokens.login.expires {
        Plan::SupervisedLogin(SupervisedLoginReason::LoginTokenExpired)
    } else {
        Plan::Unattended
    }
}

/// `POST /v1/authentication/unattended` with `{"userHash","loginToken"}` (in relay mode without
/// `userHash`: the relay sets it) and the flow's `X-Correlation-Id`. Checks the arguments first:
/// nothing is sent for a malformed `userHash` or an empty login token.
pub fn request(
    creds: &Credentials,
    user_hash: &str,
    login_token: &Secret,
    correlation: &CorrelationId,
) -> Result<HttpRequest, Error> {
    let body = if creds.is_relay() {
        if !user_hash.is_empty() {
            return Err(Error::invalid(
                "userHash",
                "must be empty in relay mode (the relay derives it from the app token)",
            ));
        }
        serde_json::json!({ "loginToken": login_token.expose() })
    } else {
        crate::validate::user_hash(user_hash)?;
        serde_json::json!({ "userHash": user_hash, "loginToken": login_token.expose() })
    };
    let token = login_token.expose();
    if token.trim().is_empty() || token.chars().any(char::is_control) {
        return Err(Error::invalid("loginToken", "must not be empty"));
    }
    let mut request = HttpRequest {
        kind: RequestKind::Unattended,
        method: Method::Post,
        url: creds.endpoint("v1/authentication/unattended"),
        headers: creds.partner_headers(),
        body: Some(("application/json", Secret::new(body.to_string()))),
        timeout: creds.request_timeout,
    };
    request.set_correlation_id(correlation);
    Ok(request)
}

/// Reads the answer: the new tokens (`completed_via` [`CodeSource::Unattended`]), or a
/// [`Failure`]. A 4xx other than 401 and 429 that names no fields is the provider refusing the
/// login token ([`Error::LoginTokenRejected`], with its code).
pub fn read(result: HttpResult, now: Timestamp) -> Result<SupervisedTokens, Failure> {
    let response =
        classify(RequestKind::Unattended, result, now).map_err(|failure| match failure.error {
            Error::UnexpectedStatus { status, code, .. } if (400..500).contains(&status) => {
                Error::LoginTokenRejected { code }.into()
            }
            _ => failure,
        })?;
    let tokens = parse_tokens_of(RequestKind::Unattended, &response)?;
    Ok(tokens.completed_via(CodeSource::Unattended))
}

/// Whether a failed unattended login may be sent again: only when the provider answered that it
/// did not process it (5xx, 429). A lost connection or a time-out may have spent the login
/// token, so it is reported, not retried.
pub fn may_retry(failure: &Failure, result_was: &HttpResult) -> bool {
    failure.is_transient()
        && !matches!(
            result_was,
            Err(TransportFailure::Network(_) | TransportFailure::Timeout)
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;
    use crate::http::HttpResponse;
    use crate::session::AccessSession;
    use crate::supervised::LoginToken;

    fn creds() -> Credentials {
        ClientConfig::new("https://api.example.com", "id", "secret")
            .validate()
            .unwrap()
    }

    fn tokens(session_expires: i64, login_expires: i64, supports: bool) -> SupervisedTokens {
        SupervisedTokens {
            session: AccessSession::new(
                Secret::new("at"),
                Timestamp::from_unix_millis(session_expires * 1000),
            ),
            login: LoginToken {
                token: Secret::new("lt"),
                expires: Timestamp::from_unix_millis(login_expires * 1000),
                provider_id: "DemoBank".into(),
                supports_unattended: supports,
                label: None,
                subject_id: None,
            },
            provider_id: "DemoBank".into(),
            completed_via: CodeSource::Poll,
        }
    }

    #[test]
    fn the_plan_uses_the_session_then_unattended_then_says_why_not() {
        let at = |s: i64| Timestamp::from_unix_millis(s * 1000);
        let margin = Duration::from_secs(30);
        assert_eq!(
            plan(&tokens(100, 1000, true), at(10), margin),
            Plan::UseSession
        );
        assert_eq!(
            plan(&tokens(100, 1000, true), at(80), margin),
            Plan::Unattended
        );
        assert_eq!(
            plan(&tokens(100, 1000, false), at(200), margin),
            Plan::SupervisedLogin(SupervisedLoginReason::UnattendedNotSupported)
        );
        assert_eq!(
            plan(&tokens(100, 1000, true), at(1000), margin),
            Plan::SupervisedLogin(SupervisedLoginReason::LoginTokenExpired)
        );
        // A session still valid is used even if unattended logins would not work.
        assert_eq!(
            plan(&tokens(100, 50, false), at(10), margin),
            Plan::UseSession
        );
    }

    #[test]
    fn the_request_is_checked_and_carries_the_correlation_id() {
        let id = CorrelationId::from_entropy(42);
        let r = request(&creds(), "test-user-id", &Secret::new("lt-1"), &id).unwrap();
        let body: serde_json::Value =
            serde_json::from_str(r.body.as_ref().unwrap().1.expose()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"userHash": "test-user-id", "loginToken": "lt-1"})
        );
        assert_eq!(r.url.path(), "/v1/authentication/unattended");
        assert_eq!(r.correlation_id(), Some(id.as_str()));
        assert!(r.headers.iter().any(|(n, _)| *n == "x-client-secret"));
        assert!(!format!("{r:?}").contains("lt-1"));

        for (hash, token, field) in [
            ("short", "lt", "userHash"),
            ("test-user-id", "", "loginToken"),
            ("test-user-id", " \n", "loginToken"),
        ] {
            match request(&creds(), hash, &Secret::new(token), &id) {
                Err(Error::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{other:?}"),
            }
        }
        let relay = ClientConfig::relay("https://relay.example.com", |_| Ok(Secret::new("t")))
            .validate()
            .unwrap();
        let r = request(&relay, "", &Secret::new("lt-1"), &id).unwrap();
        let body: serde_json::Value =
            serde_json::from_str(r.body.as_ref().unwrap().1.expose()).unwrap();
        assert_eq!(body, serde_json::json!({"loginToken": "lt-1"}));
    }

    fn answer(status: u16, body: &str) -> HttpResult {
        Ok(HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn refusals_become_reasons_and_other_errors_stay() {
        let now = Timestamp::from_unix_millis(0);
        for (code, reason) in [
            (
                "LoginTokenExpired",
                SupervisedLoginReason::LoginTokenExpired,
            ),
            (
                "UnattendedNotSupported",
                SupervisedLoginReason::UnattendedNotSupported,
            ),
            (
                "InvalidLoginToken",
                SupervisedLoginReason::LoginTokenRejected,
            ),
        ] {
            let body = format!(r#"{{"error":"{code}","details":{{"reason":"x"}}}}"#);
            let failure = read(answer(400, &body), now).unwrap_err();
            assert_eq!(SupervisedLoginReason::of(&failure.error), Some(reason));
            assert_eq!(failure.error.code(), "login_token_rejected");
        }
        let failure = read(answer(401, r#"{"error":"Unauthorized"}"#), now).unwrap_err();
        assert_eq!(failure.error, Error::BadClientCredentials);
        assert_eq!(SupervisedLoginReason::of(&failure.error), None);
        let failure = read(answer(503, "{}"), now).unwrap_err();
        assert!(may_retry(&failure, &answer(503, "{}")));
        let lost = Err(TransportFailure::Timeout);
        let failure = read(lost.clone(), now).unwrap_err();
        assert!(!may_retry(&failure, &lost));
        let failure = read(answer(200, r#"{"success":true,"session":{"#), now).unwrap_err();
        assert!(matches!(
            failure.error,
            Error::MalformedResponse {
                endpoint: "unattended login",
                ..
            }
        ));
    }

    #[test]
    fn an_answer_gives_new_tokens() {
        let body = r#"{"success":true,"session":{"expires":"2030-01-23T13:30:07.1389724+00:00","accessToken":"at-2"},"login":{"providerId":"DemoBank","expires":"2030-07-25T13:20:07.141971Z","loginToken":"lt-2","supportsUnattended":true,"label":"x","subjectId":"s"},"providerId":"DemoBank"}"#;
        let t = read(answer(200, body), Timestamp::from_unix_millis(0)).unwrap();
        assert_eq!(t.login.token.expose(), "lt-2");
        assert_eq!(t.session.token().expose(), "at-2");
        assert_eq!(t.completed_via, CodeSource::Unattended);
    }
}
