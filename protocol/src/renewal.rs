//! Token renewal as a machine, like the flows.
//!
//! One renewal of an access token: the request it takes (a refresh-token grant, or the client
//! credentials grant again; a supervised-login session cannot be renewed at all), the retries
//! of transient failures through the one [`Retrier`], and what the result means for the token
//! manager that holds the token. The machine sends nothing, sleeps never, reads no clock: the
//! driver (`obauth::TokenManager`) executes each [`RenewalStep`] and feeds back the
//! answer, so every edge below is a plain function call in tests.
//!
//! ```text
//!  start ──(session / no refresh token)──▶ Done(Reauthenticate | KeptCurrent | Failed)
//!    │
//!    ▼
//!  Send(request) ──200 + tokens──▶ Done(Renewed)
//!    │    ▲
//!    │    └── Wait(backoff) ◀── transient failure, attempts left
//!    ├── invalid_grant ─────────▶ Done(Reauthenticate)
//!    └── other failure ─────────▶ Done(KeptCurrent) if the current token has not expired,
//!                                  else Done(Failed)
//! ```

use std::time::Duration;

use crate::backoff::{Retrier, RetryPolicy};
use crate::error::Error;
use crate::flow::Ctx;
use crate::http::{HttpRequest, HttpResult, RequestKind, classify};
use crate::oauth::id_token::IdTokenClaims;
use crate::oauth::token::{oauth_failure, parse_token_response};
use crate::oauth::{TokenEndpoint, TokenSet};
use crate::session::AccessSession;
use crate::timestamp::Timestamp;

/// Attempts of one renewal before a transient failure is reported (the first try included).
pub const RENEWAL_ATTEMPTS: u32 = 3;

/// How a token is renewed.
#[derive(Clone, Debug)]
pub enum Renewal {
    /// `grant_type=refresh_token` at this endpoint.
    RefreshToken(TokenEndpoint),
    /// `grant_type=client_credentials` again, with this scope.
    ClientCredentials {
        /// The endpoint.
        endpoint: TokenEndpoint,
        /// Requested scope (space-delimited).
        scope: Option<String>,
    },
    /// Not renewable: a supervised-login session; its expiry slides with
    /// `X-Access-Token-Expires`.
    Session(AccessSession),
}

/// What the driver does next.
#[derive(Debug)]
pub enum RenewalStep {
    /// Send this request and feed its result to [`RenewalMachine::on_response`].
    Send(HttpRequest),
    /// Wait this long, then call [`RenewalMachine::on_retry_timer`].
    Wait(Duration),
    /// The renewal is over.
    Done(RenewalOutcome),
}

/// How a renewal ended, and so what the token manager holds afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenewalOutcome {
    /// New tokens: store them (what the answer left out is kept from the current set).
    Renewed(TokenSet),
    /// Renewal failed but the current token has not actually expired: keep using it.
    KeptCurrent(TokenSet),
    /// The grant is gone (`invalid_grant`, no refresh token): the user must sign in again.
    Reauthenticate(Error),
    /// Renewal failed and nothing usable is left.
    Failed(Error),
}

/// One renewal in progress.
#[derive(Debug)]
pub struct RenewalMachine {
    /// `None` for a session, or a refresh renewal without a refresh token.
    request: Option<HttpRequest>,
    session: bool,
    current: Option<TokenSet>,
    retrier: Retrier,
    /// The client id ID tokens must name.
    client_id: String,
}

impl RenewalMachine {
    /// A renewal of `current` (the token held now, possibly expired) as `renewal` says.
    pub fn new(renewal: &Renewal, current: Option<TokenSet>, policy: RetryPolicy) -> Self {
        let request = match renewal {
            Renewal::Session(_) => None,
            Renewal::ClientCredentials { endpoint, scope } => {
                Some(endpoint.client_credentials(scope.as_deref()))
            }
            Renewal::RefreshToken(endpoint) => current
                .as_ref()
                .and_then(|t| t.refresh_token.as_ref())
                .map(|rt| endpoint.refresh(rt)),
        };
        RenewalMachine {
            request,
            session: matches!(renewal, Renewal::Session(_)),
            current,
            retrier: Retrier::new(policy),
            client_id: match renewal {
                Renewal::RefreshToken(endpoint) | Renewal::ClientCredentials { endpoint, .. } => {
                    endpoint.client_id.clone()
                }
                Renewal::Session(_) => String::new(),
            },
        }
    }

    /// The first step. A session cannot be renewed: its token is kept while it lives, then the
    /// session has expired; a refresh renewal without a refresh token needs a new sign-in.
    pub fn start(&mut self, now: Timestamp) -> RenewalStep {
        if let Some(request) = &self.request {
            return RenewalStep::Send(request.clone());
        }
        RenewalStep::Done(match self.current.take() {
            Some(t) if self.session && t.expires_at.is_none_or(|at| now < at) => {
                RenewalOutcome::KeptCurrent(t)
            }
            _ if self.session => RenewalOutcome::Failed(Error::SessionExpired),
            _ => RenewalOutcome::Reauthenticate(Error::InvalidGrant),
        })
    }

    /// The answer to the last [`RenewalStep::Send`].
    pub fn on_response(&mut self, result: HttpResult, ctx: Ctx) -> RenewalStep {
        let kind = self
            .request
            .as_ref()
            .map_or(RequestKind::Refresh, |request| request.kind);
        let failure = match classify(kind, result, ctx.now).map_err(oauth_failure) {
            Ok(response) => {
                return RenewalStep::Done(
                    match parse_token_response(kind, &response, ctx.now)
                        .and_then(|fresh| self.check_id_token(&fresh, ctx.now).map(|()| fresh))
                    {
                        Ok(fresh) => RenewalOutcome::Renewed(self.keep_what_is_left_out(fresh)),
                        Err(e) => RenewalOutcome::Failed(e),
                    },
                );
            }
            Err(f) => f,
        };
        if failure.error == Error::InvalidGrant {
            return RenewalStep::Done(RenewalOutcome::Reauthenticate(Error::InvalidGrant));
        }
        let retries = Some(RENEWAL_ATTEMPTS - 1);
        if let Some(delay) =
            self.retrier
                .next_delay("token renewal", &failure, retries, ctx.entropy)
        {
            return RenewalStep::Wait(delay);
        }
        RenewalStep::Done(match self.current.take() {
            // The old token is still good if it has not actually expired.
            Some(old) if old.expires_at.is_none_or(|at| ctx.now < at) => {
                log::warn!(
                    "token renewal failed ({}); keeping the current token",
                    failure.error
                );
                RenewalOutcome::KeptCurrent(old)
            }
            _ => RenewalOutcome::Failed(failure.error),
        })
    }

    /// The wait of a [`RenewalStep::Wait`] is over: send again.
    pub fn on_retry_timer(&mut self) -> RenewalStep {
        match &self.request {
            Some(request) => RenewalStep::Send(request.clone()),
            None => RenewalStep::Done(RenewalOutcome::Failed(Error::InvalidGrant)),
        }
    }

    /// An ID token returned by a refresh must belong to the login's user at the same provider
    /// and this client (OpenID Connect Core §12.2, [`IdTokenClaims::check_refreshed`]). A
    /// refresh that returns a bad one fails and keeps nothing of its answer.
    fn check_id_token(&self, fresh: &TokenSet, now: Timestamp) -> Result<(), Error> {
        let Some(new) = &fresh.id_token else {
            return Ok(());
        };
        let kind = RequestKind::Refresh;
        let new = IdTokenClaims::decode(kind, new)?;
        match self.current.as_ref().and_then(|t| t.id_token.as_ref()) {
            Some(old) => {
                new.check_refreshed(&IdTokenClaims::decode(kind, old)?, &self.client_id, now)
            }
            // No ID token from the login to compare with: nothing says whose it is.
            None => Err(Error::MalformedResponse {
                endpoint: kind.endpoint(),
                detail: "a refresh returned an ID token where the login had none".into(),
            }),
        }
    }

    /// A refresh answer may leave out the refresh token, the consent id and the ID token: keep
    /// the current ones.
    fn keep_what_is_left_out(&self, mut fresh: TokenSet) -> TokenSet {
        if let Some(old) = &self.current {
            fresh.refresh_token = fresh.refresh_token.or_else(|| old.refresh_token.clone());
            fresh.consent_id = fresh.consent_id.or_else(|| old.consent_id.clone());
            fresh.id_token = fresh.id_token.or_else(|| old.id_token.clone());
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::TransportFailure;
    use crate::oauth::{ClientAuth, TokenWire};
    use crate::secret::Secret;

    fn at(secs: i64) -> Ctx {
        crate::test_support::ctx_at(secs, 7)
    }

    use crate::test_support::json;

    fn endpoint() -> TokenEndpoint {
        TokenEndpoint {
            url: "https://id.example.com/token".parse().unwrap(),
            wire: TokenWire::Form(ClientAuth::Post),
            client_id: "client-1".into(),
            client_secret: Some(Secret::new("secret-1")),
            timeout: Duration::from_secs(10),
        }
    }

    fn tokens(expires_secs: i64, refresh: Option<&str>) -> TokenSet {
        TokenSet {
            access_token: Secret::new("old-access"),
            token_type: "Bearer".into(),
            expires_at: Some(at(expires_secs).now),
            refresh_token: refresh.map(Secret::new),
            scope: None,
            id_token: Some(Secret::new("old-id-token")),
            consent_id: Some("consent-1".into()),
            issued_at: None,
        }
    }

    fn id_token(sub: &str, iss: &str, secs: i64) -> String {
        use base64::Engine;
        let enc = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let now = at(secs).now.unix_millis() / 1000;
        format!(
            "{}.{}.sig",
            enc(serde_json::json!({"alg":"RS256"})),
            enc(serde_json::json!({"iss":iss,"sub":sub,"aud":"client-1","iat":now,"exp":now+600}))
        )
    }

    #[test]
    fn an_id_token_returned_by_a_refresh_is_checked_against_the_login() {
        let answer = |token: &str| {
            let mut m = refresh(Some(TokenSet {
                id_token: Some(Secret::new(id_token("u1", "https://id.example.com", 0))),
                ..tokens(10, Some("rt-1"))
            }));
            m.start(at(0).now);
            m.on_response(
                json(
                    200,
                    &format!(r#"{{"access_token":"new","expires_in":60,"id_token":"{token}"}}"#),
                ),
                at(1),
            )
        };
        let good = id_token("u1", "https://id.example.com", 1);
        assert!(matches!(
            answer(&good),
            RenewalStep::Done(RenewalOutcome::Renewed(_))
        ));
        for bad in [
            id_token("u2", "https://id.example.com", 1),
            id_token("u1", "https://evil.example.com", 1),
            "not-a-jwt".to_owned(),
        ] {
            let step = answer(&bad);
            assert!(
                matches!(
                    step,
                    RenewalStep::Done(RenewalOutcome::Failed(Error::MalformedResponse {
                        endpoint: "token refresh",
                        ..
                    }))
                ),
                "{step:?}"
            );
        }
    }

    #[test]
    fn client_credentials_failures_are_labelled_as_such() {
        let mut m = RenewalMachine::new(
            &Renewal::ClientCredentials {
                endpoint: endpoint(),
                scope: None,
            },
            None,
            RetryPolicy::default(),
        );
        let RenewalStep::Send(request) = m.start(at(0).now) else {
            panic!("expected a request");
        };
        assert_eq!(request.kind, RequestKind::ClientCredentials);
        let step = m.on_response(json(400, r#"{"error":"invalid_scope"}"#), at(1));
        let RenewalStep::Done(RenewalOutcome::Failed(e)) = step else {
            panic!("{step:?}");
        };
        assert_eq!(
            e,
            Error::UnexpectedStatus {
                endpoint: "client credentials",
                status: 400,
                code: Some("invalid_scope".into())
            }
        );
        assert!(e.to_string().contains("client credentials"), "{e}");
    }

    fn refresh(current: Option<TokenSet>) -> RenewalMachine {
        RenewalMachine::new(
            &Renewal::RefreshToken(endpoint()),
            current,
            RetryPolicy::default(),
        )
    }

    fn sent_body(step: &RenewalStep) -> String {
        match step {
            RenewalStep::Send(request) => request.body.as_ref().unwrap().1.expose().to_owned(),
            other => panic!("expected a request, got {other:?}"),
        }
    }

    #[test]
    fn a_refresh_keeps_what_the_answer_leaves_out() {
        let mut m = refresh(Some(tokens(10, Some("rt-1"))));
        let body = sent_body(&m.start(at(0).now));
        assert!(
            body.contains("grant_type=refresh_token") && body.contains("rt-1"),
            "{body}"
        );
        let step = m.on_response(
            json(
                200,
                r#"{"access_token":"new","token_type":"Bearer","expires_in":60}"#,
            ),
            at(1),
        );
        let RenewalStep::Done(RenewalOutcome::Renewed(fresh)) = step else {
            panic!("{step:?}");
        };
        assert_eq!(fresh.access_token.expose(), "new");
        assert_eq!(fresh.refresh_token.unwrap().expose(), "rt-1");
        assert_eq!(fresh.consent_id.as_deref(), Some("consent-1"));
        assert_eq!(fresh.id_token.unwrap().expose(), "old-id-token");
    }

    #[test]
    fn invalid_grant_or_no_refresh_token_means_sign_in_again() {
        let mut m = refresh(Some(tokens(10, Some("rt-1"))));
        m.start(at(0).now);
        let step = m.on_response(json(400, r#"{"error":"invalid_grant"}"#), at(1));
        assert!(matches!(
            step,
            RenewalStep::Done(RenewalOutcome::Reauthenticate(Error::InvalidGrant))
        ));
        let mut m = refresh(Some(tokens(10, None)));
        assert!(matches!(
            m.start(at(0).now),
            RenewalStep::Done(RenewalOutcome::Reauthenticate(Error::InvalidGrant))
        ));
    }

    #[test]
    fn transient_failures_are_retried_then_keep_a_live_token_or_fail() {
        for (expires, kept) in [(100, true), (-5, false)] {
            let mut m = refresh(Some(tokens(expires, Some("rt-1"))));
            let mut step = m.start(at(0).now);
            let mut sends = 0;
            loop {
                step = match step {
                    RenewalStep::Send(_) => {
                        sends += 1;
                        m.on_response(Err(TransportFailure::Timeout), at(sends))
                    }
                    RenewalStep::Wait(delay) => {
                        assert!(delay <= Duration::from_secs(8));
                        m.on_retry_timer()
                    }
                    RenewalStep::Done(outcome) => {
                        assert_eq!(sends, RENEWAL_ATTEMPTS as i64);
                        match outcome {
                            RenewalOutcome::KeptCurrent(t) => {
                                assert!(kept);
                                assert_eq!(t.access_token.expose(), "old-access");
                            }
                            RenewalOutcome::Failed(e) => {
                                assert!(!kept);
                                assert!(e.is_transient(), "{e:?}");
                            }
                            other => panic!("{other:?}"),
                        }
                        break;
                    }
                };
            }
        }
    }

    #[test]
    fn client_credentials_ask_again_and_sessions_are_never_sent() {
        let cc = Renewal::ClientCredentials {
            endpoint: endpoint(),
            scope: Some("accounts".into()),
        };
        let body =
            sent_body(&RenewalMachine::new(&cc, None, RetryPolicy::default()).start(at(0).now));
        assert!(body.contains("grant_type=client_credentials") && body.contains("scope=accounts"));

        let session = AccessSession::new(Secret::new("s"), at(100).now);
        let renewal = Renewal::Session(session);
        let mut live =
            RenewalMachine::new(&renewal, Some(tokens(100, None)), RetryPolicy::default());
        assert!(matches!(
            live.start(at(0).now),
            RenewalStep::Done(RenewalOutcome::KeptCurrent(_))
        ));
        let mut ended =
            RenewalMachine::new(&renewal, Some(tokens(100, None)), RetryPolicy::default());
        assert!(matches!(
            ended.start(at(100).now),
            RenewalStep::Done(RenewalOutcome::Failed(Error::SessionExpired))
        ));
    }
}
