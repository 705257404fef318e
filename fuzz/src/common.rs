//! Fixtures shared by the targets: the client, the clock, responses, effect checks, and the
//! part of the script interpreter both machine targets run ([`Session`], [`check_step`]).

use std::time::Duration;

use obauth_protocol::config::{ClientConfig, Credentials};
use obauth_protocol::error::{Error, ErrorInfo};
use obauth_protocol::flow::{Ctx, Effect, Flow, Input, RedirectOutcome, TimerKind};
use obauth_protocol::http::{HttpResponse, HttpResult, RequestKind, TransportFailure};
use obauth_protocol::secret::Secret;
use obauth_protocol::timestamp::{Monotonic, Timestamp};
use url::Url;

use crate::script::{Line, word};

/// The API root every fixture client uses.
pub const API_URL: &str = "https://api.example.com";
/// The fixture client id (snapshots must carry it to restore).
pub const CLIENT_ID: &str = "client-1";
/// The fixture client secret.
pub const CLIENT_SECRET: &str = "secret-1";
/// The clock's origin: `at 0` in a script.
pub const T0_MS: i64 = 1_700_000_000_000;
/// The longest retry delay the default policy may ask for (its `max_retry_after`).
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(120);

/// The app token the relay-mode fixture's provider hands out.
pub const APP_TOKEN: &str = "app-token-1";

/// The fixture credentials (default retry policy and time-outs).
pub fn creds() -> Credentials {
    let mut config = ClientConfig::new(API_URL, CLIENT_ID, CLIENT_SECRET);
    config.external_app_hosts = vec!["mobilebank.example.com".into()];
    config.validate().expect("fixture credentials are valid")
}

/// The fixture credentials in relay mode ([`ClientConfig::relay`]): the API root is the
/// relay's, no client id or secret on the device, and an app token provider that always
/// answers [`APP_TOKEN`] (the driver, not the sans-IO machines, calls it).
pub fn relay_creds() -> Credentials {
    let provider = |_force_refresh: bool| -> Result<Secret, Error> { Ok(Secret::new(APP_TOKEN)) };
    let mut config = ClientConfig::relay(API_URL, provider);
    config.external_app_hosts = vec!["mobilebank.example.com".into()];
    config
        .validate()
        .expect("fixture relay credentials are valid")
}

/// The time `secs` seconds after [`T0_MS`] (saturating: scripts may say anything).
pub fn at_secs(secs: i64) -> Timestamp {
    Timestamp::from_unix_millis(T0_MS.saturating_add(secs.saturating_mul(1000)))
}

/// The monotonic reading at the start of every script (the driver's epoch is arbitrary).
pub fn mono_origin() -> Monotonic {
    Monotonic::from_elapsed(Duration::from_secs(1_000))
}

/// A context at wall-clock `now` and monotonic `mono` with `entropy`.
pub fn ctx(now: Timestamp, mono: Monotonic, entropy: u64) -> Ctx {
    Ctx { now, mono, entropy }
}

/// The two clocks a script drives. `at SECS` sets the wall clock; when it moves forward, as
/// much time passes on the monotonic clock (real time passing), when it moves back the
/// monotonic clock stays (the device's clock was set back). `wall SECS` sets the wall clock
/// alone (a clock change either way); `mono SECS` lets SECS seconds pass on the monotonic clock
/// alone. The monotonic clock never goes backwards, as the driver guarantees.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Wall-clock time.
    pub now: Timestamp,
    /// Monotonic time.
    pub mono: Monotonic,
    /// Whether the wall clock ever went backwards (wall-clock bounds then no longer hold).
    pub wall_went_back: bool,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            now: at_secs(0),
            mono: mono_origin(),
            wall_went_back: false,
        }
    }
}

impl Clock {
    /// `at SECS`.
    pub fn at(&mut self, secs: i64) {
        let next = at_secs(secs);
        self.mono = self.mono.plus(self.now.until(next));
        self.wall(secs);
    }

    /// `wall SECS`.
    pub fn wall(&mut self, secs: i64) {
        let next = at_secs(secs);
        self.wall_went_back |= next < self.now;
        self.now = next;
    }

    /// `mono SECS` (negative: nothing).
    pub fn pass(&mut self, secs: i64) {
        let secs = u64::try_from(secs).unwrap_or(0);
        self.mono = self.mono.plus(Duration::from_secs(secs));
    }

    /// The context for the next input.
    pub fn ctx(&self, entropy: u64) -> Ctx {
        ctx(self.now, self.mono, entropy)
    }
}

/// The flow's snapshot: writing one must never fail for a machine the protocol built or
/// restored (a snapshot that cannot be written is an error, and here an invariant broken).
pub fn snapshot_of<F: Flow>(m: &F) -> String {
    m.snapshot()
        .unwrap_or_else(|e| panic!("a machine's snapshot could not be written: {e}"))
}

/// A response as the driver would hand it over: header names lower-cased.
pub fn response(status: u16, headers: &[(String, String)], body: &[u8]) -> HttpResult {
    Ok(HttpResponse {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect(),
        body: body.to_vec(),
    })
}

/// A transport failure by name (`timeout`, `network`, `app-token`: the relay-mode app token
/// provider failed, anything else: refused).
pub fn transport_failure(what: &str) -> HttpResult {
    Err(match what.trim() {
        "timeout" => TransportFailure::Timeout,
        "network" => TransportFailure::Network("connection reset".into()),
        "app-token" => TransportFailure::AppToken(Error::AppTokenRejected),
        _ => TransportFailure::Refused("refused by policy".into()),
    })
}

/// A request kind by name.
pub fn request_kind(name: &str) -> Option<RequestKind> {
    Some(match name {
        "initialize" | "init" => RequestKind::Initialize,
        "status" => RequestKind::Status,
        "exchange" | "token" => RequestKind::Exchange,
        "refresh" => RequestKind::Refresh,
        "discovery" => RequestKind::Discovery,
        "api" => RequestKind::Api,
        _ => return None,
    })
}

/// A timer by name.
pub fn timer_kind(name: &str) -> Option<TimerKind> {
    Some(match name {
        "deadline" => TimerKind::Deadline,
        "next-poll" | "poll" => TimerKind::NextPoll,
        other => TimerKind::Retry(request_kind(other.strip_prefix("retry-")?)?),
    })
}

/// Invariants every effect list holds, whatever the flow: retry timers never exceed the
/// policy's bounds, a next-poll timer never exceeds the poll window, and the deadline timer
/// never exceeds the flow's time-out. `None` skips a check: where the script moved the clock
/// backwards, a deadline or poll window set earlier may legitimately lie further away.
pub fn check_timers<S>(effects: &[Effect<S>], timeout: Option<Duration>, poll: Option<Duration>) {
    for effect in effects {
        if let Effect::ArmTimer { timer, after } = effect {
            match timer {
                TimerKind::Retry(_) => assert!(
                    *after <= MAX_RETRY_DELAY,
                    "a retry timer of {after:?} exceeds the policy's bound"
                ),
                TimerKind::Deadline => assert!(
                    timeout.is_none_or(|t| *after <= t),
                    "the deadline timer ({after:?}) is later than the time-out ({timeout:?})"
                ),
                TimerKind::NextPoll => assert!(
                    poll.is_none_or(|p| *after <= p),
                    "a next-poll timer of {after:?} exceeds the poll window {poll:?}"
                ),
            }
        }
    }
}

/// The `State` effects' last state, if any.
pub fn last_state<S: Clone>(effects: &[Effect<S>]) -> Option<S> {
    effects.iter().rev().find_map(|e| match e {
        Effect::State(s) => Some(s.clone()),
        _ => None,
    })
}

/// Every request the effects send.
pub fn sends<S>(effects: &[Effect<S>]) -> Vec<&obauth_protocol::http::HttpRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(r) => Some(r),
            _ => None,
        })
        .collect()
}

/// A field of a request's body (JSON object or form), if it is there once as text.
pub fn body_field(request: &obauth_protocol::http::HttpRequest, name: &str) -> Option<String> {
    let (content_type, body) = request.body.as_ref()?;
    if *content_type == "application/json" {
        let json: serde_json::Value = serde_json::from_str(body.expose()).ok()?;
        json.get(name)?.as_str().map(str::to_owned)
    } else {
        url::form_urlencoded::parse(body.expose().as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// Parses a decimal number leniently (scripts are mutated bytes): `None` when it is not one.
pub fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.trim().parse().ok()
}

/// The script commands that feed the machine something ([`Session::feed`]); the first of them
/// builds the machine from the configuration lines before it.
pub const MACHINE_COMMANDS: [&str; 8] = [
    "start",
    "resume",
    "cancel",
    "timer",
    "respond",
    "transport",
    "redirect",
    "restore",
];

/// What both machine interpreters keep between script lines: the clocks, the entropy of the
/// next input and the headers of the next response.
pub struct Session {
    /// The wall and monotonic clocks.
    pub clock: Clock,
    /// The next inputs' random number.
    pub entropy: u64,
    headers: Vec<(String, String)>,
}

/// What one machine command did.
pub struct Fed<S> {
    /// The effects the machine returned.
    pub effects: Vec<Effect<S>>,
    /// For `redirect`: what the machine said of the URL, and the URL.
    pub redirect: Option<(RedirectOutcome, Url)>,
}

impl Session {
    /// A session at [`T0_MS`] with this entropy.
    pub fn new(entropy: u64) -> Self {
        Session {
            clock: Clock::default(),
            entropy,
            headers: Vec::new(),
        }
    }

    /// `at`, `wall`, `mono`, `entropy` and `header` (`text` is the argument, placeholders
    /// expanded): applied, `true`; any other command: `false`.
    pub fn setting(&mut self, cmd: &str, text: &str) -> bool {
        match cmd {
            "at" => self.clock.at(number(text).unwrap_or(0)),
            "wall" => self.clock.wall(number(text).unwrap_or(0)),
            "mono" => self.clock.pass(number(text).unwrap_or(0)),
            "entropy" => self.entropy = number(text).unwrap_or(0),
            "header" => {
                let (name, value) = text.split_once(':').unwrap_or((text, ""));
                self.headers.push((name.to_owned(), value.to_owned()));
            }
            _ => return false,
        }
        true
    }

    /// The context of the next input.
    pub fn ctx(&self) -> Ctx {
        self.clock.ctx(self.entropy)
    }

    /// Feeds `m` what a [`MACHINE_COMMANDS`] line asks for (`text`: its argument with the
    /// placeholders expanded). Each machine adds its own part: `body` turns a `respond` line's
    /// kind, status and raw body into the body the machine reads (placeholders, or reading the
    /// answer on the side); `restore` rebuilds the machine from its own snapshot. `None`: the
    /// line names no timer, request kind or URL, and means nothing.
    pub fn feed<F: Flow + std::fmt::Debug>(
        &mut self,
        m: &mut F,
        line: &Line,
        text: &str,
        body: impl FnOnce(RequestKind, u16, &[u8]) -> Vec<u8>,
        restore: impl FnOnce(&mut F),
    ) -> Option<Fed<F::State>> {
        let c = self.ctx();
        let mut redirect = None;
        let effects = match line.cmd {
            "start" => m.handle(Input::Start, c),
            "resume" => m.handle(Input::Resume, c),
            "cancel" => m.handle(Input::Cancel, c),
            "timer" => m.handle(Input::Timer(timer_kind(text.trim())?), c),
            "respond" | "transport" => {
                let (kind, rest) = word(line.arg);
                let kind = request_kind(kind)?;
                let result = if line.cmd == "respond" {
                    let (status, raw) = word(rest);
                    let status = number(status).unwrap_or(200);
                    let body = body(kind, status, raw);
                    response(status, &std::mem::take(&mut self.headers), &body)
                } else {
                    transport_failure(&String::from_utf8_lossy(rest))
                };
                m.handle(Input::Response { kind, result }, c)
            }
            "redirect" => {
                let url = Url::parse(text.trim()).ok()?;
                let (outcome, effects) = m.redirect(&url, c);
                redirect = Some((outcome, url));
                effects
            }
            _ => {
                restore(m);
                Vec::new()
            }
        };
        // Format everything a host may log (exercises the redacting Debug impls).
        let _ = format!("{effects:?} {:?} {m:?}", m.state());
        Some(Fed { effects, redirect })
    }
}

/// What holds after every machine command, whatever the machine: a redirect its pattern does
/// not match is not for this flow and does nothing (one it matches is never called that); a
/// flow that had finished (`was_terminal`, its snapshot then `snapshot_before`) neither acts
/// nor changes; the last `State` effect is `state()`; `outcome()` is there exactly when the
/// state is terminal (`is_terminal`, the machine's own rule).
pub fn check_step<F: Flow>(
    m: &F,
    fed: &Fed<F::State>,
    was_terminal: bool,
    snapshot_before: &str,
    is_terminal: impl Fn(&F::State) -> bool,
) where
    F::State: PartialEq,
{
    if let Some((outcome, url)) = &fed.redirect {
        if m.redirect_pattern().matches(url) {
            assert_ne!(*outcome, RedirectOutcome::NotForThisFlow, "{url}");
        } else {
            assert_eq!(*outcome, RedirectOutcome::NotForThisFlow, "{url}");
            assert!(fed.effects.is_empty());
        }
    }
    if was_terminal {
        assert!(
            fed.effects.is_empty(),
            "a finished flow acted: {:?}",
            fed.effects
        );
        assert_eq!(snapshot_of(m), snapshot_before, "a finished flow changed");
    }
    let state = m.state();
    if let Some(last) = last_state(&fed.effects) {
        assert_eq!(last, state, "the last State effect is not state()");
    }
    assert_eq!(m.outcome().is_some(), is_terminal(&state));
}

/// A machine and `restored`, rebuilt from its snapshot `text`: the snapshot re-encodes the
/// same, and the restored machine shows the same state; a failure (`failure` reads it from a
/// state) keeps its category and message only, as snapshots do.
pub fn check_restored<F: Flow>(
    m: &F,
    text: &str,
    restored: &F,
    failure: impl Fn(&F::State) -> Option<ErrorInfo>,
) where
    F::State: PartialEq,
{
    assert_eq!(
        snapshot_of(restored),
        text,
        "a restored snapshot re-encodes differently"
    );
    let (a, b) = (m.state(), restored.state());
    match (failure(&a), failure(&b)) {
        (Some(x), Some(y)) => {
            assert_eq!(x.category, y.category);
            assert_eq!(x.to_string(), y.to_string());
        }
        _ => assert_eq!(a, b, "a restored machine shows another state"),
    }
}
