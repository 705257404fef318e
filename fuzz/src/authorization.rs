//! The authorization-code script interpreter (target `authorization_responses`).
//!
//! Configuration lines (before the first command of [`crate::script`]): `flow connect|pkce`,
//! `redirect-uri X`, `pattern X`, `scope X`, `group-name X`, `group-id X`, `timeout SECS`,
//! `code-lifetime SECS`, `authorize-endpoint X`, `token-endpoint X`. Anywhere:
//! `id-token JSON` sets `$ID_TOKEN` to an unsigned JWT with that payload. The defaults are the
//! unit tests' (connect: `https://mydomain.com/aiia-callback/tenant-7` under the pattern
//! `https://mydomain.com/aiia-callback/*`; PKCE: `https://app.example.com/cb` at
//! `https://id.example.com/oidc`). The flow's `state`, `nonce` and PKCE verifier are fixed
//! ([`STATE`], [`NONCE`], [`VERIFIER`]).
//!
//! Invariants checked after every step, besides those of the supervised target (redirect
//! matching, one code, a finished flow is frozen, state/outcome, timers, snapshot round trip):
//! - a redirect is accepted (`CodeAccepted`) or ends the flow (`ProviderError`) only with the
//!   flow's own `state`;
//! - the exchange goes to the token endpoint with the accepted code, the registered redirect
//!   URI, and for PKCE the verifier (for connect: Basic client authentication); it is sent
//!   again only while the code lives (within the process on the monotonic clock, after a
//!   restore on the wall clock: `wall` and `mono` lines move one clock without the other);
//! - a PKCE login with `openid` authenticates only with an ID token carrying the flow's nonce,
//!   the client id as audience, and an expiry after the exchange;
//! - the authorize URL carries the state, client id and redirect URI, and for PKCE the S256
//!   challenge of the verifier.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use obauth_protocol::authorization::{
    AuthorizationMachine, AuthorizationParams, AuthorizationState,
};
use obauth_protocol::flow::{Flow, RedirectOutcome};
use obauth_protocol::http::{HttpRequest, RequestKind};
use obauth_protocol::oauth::{FlowSecrets, TokenSet, s256_challenge};
use obauth_protocol::redirect::{RedirectPattern, RedirectQuery};
use obauth_protocol::secret::Secret;
use obauth_protocol::snapshot::FlowKind;
use obauth_protocol::timestamp::Timestamp;
use url::Url;

use crate::common::{self, Session, creds, number, snapshot_of};
use crate::script::{self, lines};

/// The flow's `state`.
pub const STATE: &str = "state-abcdefghijklmnopqrstuvwxyz0123456789";
/// The flow's OpenID Connect nonce.
pub const NONCE: &str = "nonce-123";
/// The flow's PKCE verifier.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Default connect redirect URI.
pub const CONNECT_REDIRECT: &str = "https://mydomain.com/aiia-callback/tenant-7";
/// Default connect redirect pattern.
pub const CONNECT_PATTERN: &str = "https://mydomain.com/aiia-callback/*";
/// Default PKCE redirect URI.
pub const PKCE_REDIRECT: &str = "https://app.example.com/cb";
/// Default PKCE authorization endpoint.
pub const PKCE_AUTHORIZE: &str = "https://id.example.com/oidc/authorize";
/// Default PKCE token endpoint.
pub const PKCE_TOKEN: &str = "https://id.example.com/oidc/token";

/// The fixed per-flow secrets.
pub fn secrets() -> FlowSecrets {
    FlowSecrets {
        state: Secret::new(STATE),
        nonce: Secret::new(NONCE),
        verifier: Secret::new(VERIFIER),
    }
}

#[derive(Clone, Default)]
struct Config {
    pkce: bool,
    redirect_uri: Option<String>,
    pattern: Option<String>,
    scope: Option<String>,
    group_name: Option<String>,
    group_id: Option<String>,
    timeout: Option<u64>,
    code_lifetime: Option<u64>,
    authorize: Option<String>,
    token: Option<String>,
}

impl Config {
    fn params(&self) -> AuthorizationParams {
        let default = if self.pkce {
            PKCE_REDIRECT
        } else {
            CONNECT_REDIRECT
        };
        let mut p =
            AuthorizationParams::new(self.redirect_uri.clone().unwrap_or(default.to_owned()));
        p.redirect_pattern = self.pattern.clone().or_else(|| {
            (!self.pkce && self.redirect_uri.is_none()).then(|| CONNECT_PATTERN.into())
        });
        p.scope = self.scope.clone();
        if let Some(t) = self.timeout {
            p.timeout = Duration::from_secs(t);
        }
        if let Some(t) = self.code_lifetime {
            p.code_lifetime = Duration::from_secs(t);
        }
        p
    }

    fn build(&self) -> Option<AuthorizationMachine> {
        let creds = creds();
        if self.pkce {
            let authorize = Url::parse(self.authorize.as_deref().unwrap_or(PKCE_AUTHORIZE)).ok()?;
            let token = Url::parse(self.token.as_deref().unwrap_or(PKCE_TOKEN)).ok()?;
            AuthorizationMachine::pkce(&creds, authorize, token, self.params(), secrets()).ok()
        } else {
            AuthorizationMachine::aiia_connect(
                &creds,
                self.params(),
                self.group_name.clone(),
                self.group_id.clone(),
                secrets(),
            )
            .ok()
        }
    }

    fn kind(&self) -> FlowKind {
        if self.pkce {
            FlowKind::Pkce
        } else {
            FlowKind::AiiaConnect
        }
    }
}

/// Runs a script; returns the machine as the script left it, with its kind.
pub fn run(data: &[u8]) -> Option<(AuthorizationMachine, FlowKind)> {
    let creds = creds();
    let mut config = Config::default();
    let mut machine: Option<AuthorizationMachine> = None;
    let mut expected: Option<Expected> = None;
    let mut session = Session::new(7);
    // The code exchanged, when it arrived, and whether the machine was restored since.
    let mut exchanged: Option<(String, obauth_protocol::flow::Ctx, bool)> = None;
    let mut placeholders = script::Placeholders {
        state: STATE.into(),
        nonce: NONCE.into(),
        client_id: common::CLIENT_ID.into(),
        now_secs: session.clock.now.unix_millis() / 1000,
        id_token: String::new(),
    };

    for line in lines(data) {
        let text = String::from_utf8_lossy(&placeholders.expand(line.arg)).into_owned();
        let configuring = machine.is_none();
        match line.cmd {
            "flow" if configuring => config.pkce = text.trim() == "pkce",
            "redirect-uri" if configuring => config.redirect_uri = Some(text),
            "pattern" if configuring => config.pattern = Some(text),
            "scope" if configuring => config.scope = Some(text),
            "group-name" if configuring => config.group_name = Some(text),
            "group-id" if configuring => config.group_id = Some(text),
            "timeout" if configuring => config.timeout = number(&text),
            "code-lifetime" if configuring => config.code_lifetime = number(&text),
            "authorize-endpoint" if configuring => config.authorize = Some(text),
            "token-endpoint" if configuring => config.token = Some(text),
            "id-token" => placeholders.set_id_token(line.arg),
            cmd if session.setting(cmd, &text) => {
                placeholders.now_secs = session.clock.now.unix_millis() / 1000;
            }
            cmd if common::MACHINE_COMMANDS.contains(&cmd) => {
                let m = match machine.as_mut() {
                    Some(m) => m,
                    None => {
                        let built = config.build()?;
                        expected = Some(Expected::of(&config, &built));
                        machine = Some(built);
                        machine.as_mut().expect("just built")
                    }
                };
                let expected = expected.as_ref().expect("set with the machine");
                let c = session.ctx();
                let before = m.state();
                let snapshot_before = snapshot_of(m);
                let Some(fed) = session.feed(
                    m,
                    &line,
                    &text,
                    |_, _, body| placeholders.expand(body),
                    |m| {
                        *m = AuthorizationMachine::restore(&creds, &snapshot_before, config.kind())
                            .unwrap_or_else(|e| panic!("own snapshot does not restore: {e}"));
                        if let Some((_, _, restored_since)) = exchanged.as_mut() {
                            *restored_since = true;
                        }
                    },
                ) else {
                    continue;
                };
                let effects = &fed.effects;

                if let Some((outcome, url)) = &fed.redirect {
                    if matches!(
                        outcome,
                        RedirectOutcome::CodeAccepted | RedirectOutcome::ProviderError(_)
                    ) {
                        assert!(
                            matches!(before, AuthorizationState::AwaitingUser { .. }),
                            "{outcome:?} in {before:?}"
                        );
                        let query = RedirectQuery::parse(url).expect("accepted query parses");
                        assert_eq!(
                            query.get("state").expect("single state"),
                            Some(STATE),
                            "{outcome:?} without the flow's state"
                        );
                    }
                    if *outcome == RedirectOutcome::CodeAccepted {
                        let query = RedirectQuery::parse(url).expect("accepted query parses");
                        let code = query.get("code").expect("single code").expect("a code");
                        assert!(!code.is_empty());
                        assert_eq!(query.get("error").expect("single error"), None);
                        let sent = common::sends(effects);
                        assert_eq!(sent.len(), 1, "one exchange for an accepted code");
                        assert_eq!(expected.code_of(sent[0]).as_deref(), Some(code));
                    }
                }

                for request in common::sends(effects) {
                    assert_eq!(request.kind, RequestKind::Exchange);
                    let code = expected.check_exchange(request);
                    match &exchanged {
                        Some((first, at, restored_since)) => {
                            assert_eq!(*first, code, "a second code exchanged");
                            // Sent again (a retry, a resume): only while the code lives.
                            let lifetime = config.params().code_lifetime;
                            if *restored_since {
                                assert!(
                                    c.now < at.now.plus(lifetime),
                                    "a restored code re-sent after its lifetime (wall clock)"
                                );
                            } else {
                                assert!(
                                    c.mono < at.mono.plus(lifetime),
                                    "a code re-sent after its lifetime (monotonic clock)"
                                );
                            }
                        }
                        None => exchanged = Some((code, c, false)),
                    }
                }

                common::check_step(
                    m,
                    &fed,
                    before.is_terminal(),
                    &snapshot_before,
                    AuthorizationState::is_terminal,
                );
                let state = m.state();
                if let AuthorizationState::AwaitingUser { authorize_url } = &state {
                    expected.check_authorize_url(authorize_url);
                }
                if !before.is_terminal()
                    && let Some(Ok(tokens)) = m.outcome()
                {
                    expected.check_tokens(&tokens, session.clock.now);
                }
                common::check_timers(
                    effects,
                    (!session.clock.wall_went_back).then(|| config.params().timeout),
                    None,
                );
                check_snapshot_round_trip(m, config.kind());
            }
            _ => {}
        }
    }
    machine.map(|m| (m, config.kind()))
}

/// What the flow's requests and URLs must carry.
struct Expected {
    pkce: bool,
    openid: bool,
    redirect_uri: String,
    token_endpoint: Url,
}

impl Expected {
    fn of(config: &Config, _machine: &AuthorizationMachine) -> Self {
        let params = config.params();
        // Sent exactly as configured (issue 12: a provider compares it as a string); the
        // machine accepted it, so it parses.
        RedirectPattern::parse("redirectUri", &params.redirect_uri, false)
            .expect("the machine accepted it");
        let redirect_uri = params.redirect_uri.clone();
        let token_endpoint = if config.pkce {
            Url::parse(config.token.as_deref().unwrap_or(PKCE_TOKEN)).expect("accepted")
        } else {
            Url::parse(common::API_URL)
                .and_then(|u| u.join("/v1/oauth/token"))
                .expect("fixture URL")
        };
        // As the machine reads it: whitespace-separated tokens, an empty scope is the default.
        let scope = params
            .scope
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| "openid".into());
        Expected {
            pkce: config.pkce,
            openid: config.pkce && scope.split_whitespace().any(|s| s == "openid"),
            redirect_uri,
            token_endpoint,
        }
    }

    fn fields(&self, request: &HttpRequest) -> Vec<(String, String)> {
        let Some((content_type, body)) = &request.body else {
            return Vec::new();
        };
        if *content_type == "application/json" {
            let json: serde_json::Value =
                serde_json::from_str(body.expose()).expect("the exchange body is JSON");
            json.as_object()
                .expect("an object")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        } else {
            url::form_urlencoded::parse(body.expose().as_bytes())
                .into_owned()
                .collect()
        }
    }

    fn code_of(&self, request: &HttpRequest) -> Option<String> {
        self.fields(request)
            .into_iter()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v)
    }

    /// Checks an exchange request; returns its code.
    fn check_exchange(&self, request: &HttpRequest) -> String {
        assert_eq!(request.url, self.token_endpoint, "exchange sent elsewhere");
        let fields = self.fields(request);
        let get = |name: &str| {
            let mut found = fields.iter().filter(|(k, _)| k == name);
            let first = found.next().map(|(_, v)| v.clone());
            assert!(found.next().is_none(), "{name} twice in the exchange");
            first
        };
        assert_eq!(get("grant_type").as_deref(), Some("authorization_code"));
        assert_eq!(get("redirect_uri"), Some(self.redirect_uri.clone()));
        let auth = request
            .headers
            .iter()
            .find(|(n, _)| *n == "authorization")
            .map(|(_, v)| v.expose().to_owned());
        if self.pkce {
            assert_eq!(get("code_verifier").as_deref(), Some(VERIFIER));
            assert_eq!(get("client_id").as_deref(), Some(common::CLIENT_ID));
            assert!(auth.is_none(), "a public client sent credentials");
        } else {
            let basic = format!(
                "Basic {}",
                STANDARD.encode(format!("{}:{}", common::CLIENT_ID, common::CLIENT_SECRET))
            );
            assert_eq!(auth, Some(basic));
            // Connect flows send S256 PKCE by default (issue 10 #12), so the verifier too.
            assert_eq!(get("code_verifier").as_deref(), Some(VERIFIER));
        }
        get("code").expect("an exchange carries a code")
    }

    fn check_authorize_url(&self, text: &str) {
        let url = Url::parse(text).expect("the authorize URL parses");
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("state"), Some(STATE));
        assert_eq!(get("client_id"), Some(common::CLIENT_ID));
        assert_eq!(get("redirect_uri"), Some(self.redirect_uri.as_str()));
        assert_eq!(get("response_type"), Some("code"));
        // Both kinds send the S256 challenge (connect by default); a nonce only with `openid`.
        assert_eq!(
            get("code_challenge"),
            Some(s256_challenge(VERIFIER).as_str())
        );
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("nonce"), self.openid.then_some(NONCE));
    }

    fn check_tokens(&self, tokens: &TokenSet, now: Timestamp) {
        assert!(!tokens.access_token.is_empty());
        if !self.openid {
            return;
        }
        let id_token = tokens
            .id_token
            .as_ref()
            .expect("an OpenID login has an ID token");
        let payload: serde_json::Value = id_token
            .expose()
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .expect("the accepted ID token is a JWT");
        assert_eq!(payload["nonce"].as_str(), Some(NONCE), "nonce not checked");
        let aud_ok = match &payload["aud"] {
            serde_json::Value::String(a) => a == common::CLIENT_ID,
            serde_json::Value::Array(list) => {
                list.iter().any(|a| a.as_str() == Some(common::CLIENT_ID))
            }
            _ => false,
        };
        assert!(aud_ok, "audience not checked");
        let exp = payload["exp"].as_i64().expect("exp checked");
        assert!(
            exp.saturating_mul(1000) > now.unix_millis(),
            "expiry not checked"
        );
    }
}

/// The machine's snapshot restores as its kind only; the restored machine re-encodes to the
/// same text and shows the same state.
pub fn check_snapshot_round_trip(m: &AuthorizationMachine, kind: FlowKind) {
    let text = snapshot_of(m);
    let restored = AuthorizationMachine::restore(&creds(), &text, kind)
        .unwrap_or_else(|e| panic!("a snapshot does not restore: {e}\n{text}"));
    common::check_restored(m, &text, &restored, |state| match state {
        AuthorizationState::Failed { error } => Some(error.clone()),
        _ => None,
    });
    let other = match kind {
        FlowKind::Pkce => FlowKind::AiiaConnect,
        _ => FlowKind::Pkce,
    };
    assert!(
        AuthorizationMachine::restore(&creds(), &text, other).is_err(),
        "a snapshot restored as the other kind"
    );
}
