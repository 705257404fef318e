//! `obauth connect`: the Aiia Data connect flow from the terminal.
//!
//! Prints `auth_url: <URL>` on stderr, takes the redirect on a loopback listener (for a
//! `http://127.0.0.1:PORT/…` or `localhost` redirect URI) or as one line on stdin (paste the URL
//! the browser was sent to), and prints `{"access_token", "refresh_token", "token_type",
//! "expires_in", "consent_id"}` on stdout. A forged or stale `state` ends it without any
//! exchange. Exit codes and error lines as for `obauth login`. With `--relay-url` the command is
//! [`crate::connect_relay`]'s.

use obauth::{AuthorizationFlow, AuthorizationParams, Client, ClientConfig, TokenSet};

use crate::args::{Flags, UsageError};
use crate::drive::{RedirectSource, drive};
use crate::exit;

const FLAGS: &[&str] = &[
    "api-url",
    "client-id",
    "client-secret",
    "redirect-uri",
    "scope",
    "timeout",
];

/// Runs the command; returns the exit code.
pub async fn run(args: &[String]) -> i32 {
    if crate::args::has_flag(args, "relay-url") {
        return crate::connect_relay::run(args).await;
    }
    let parsed = (|| -> Result<_, UsageError> {
        let flags = Flags::parse(args, FLAGS)?;
        let config = ClientConfig::new(
            flags.required("api-url", None)?,
            flags.required("client-id", Some("OBAUTH_CLIENT_ID"))?,
            flags.required("client-secret", Some("OBAUTH_CLIENT_SECRET"))?,
        );
        let mut params = AuthorizationParams::new(flags.required("redirect-uri", None)?);
        params.scope = flags.get("scope").map(str::to_owned);
        if let Some(t) = flags.seconds("timeout")? {
            params.timeout = t;
        }
        Ok((config, params))
    })();
    let (config, params) = match parsed {
        Ok(p) => p,
        Err(UsageError(msg)) => {
            eprintln!("error: {msg}");
            eprintln!("{}", crate::USAGE);
            return exit::INVALID_INPUT;
        }
    };
    let timeout = params.timeout;
    match Client::new(config).and_then(|c| c.connect_flow(params, None, None)) {
        Ok(flow) => complete(&flow, timeout).await,
        Err(e) => exit::report(&e),
    }
}

/// Takes the redirect (loopback listener or stdin), waits for the tokens and prints them; the
/// exit code. Shared by partner and relay mode.
pub async fn complete(flow: &AuthorizationFlow, timeout: std::time::Duration) -> i32 {
    let source = match RedirectSource::for_flow(flow, RedirectSource::Stdin).await {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("error: {msg}");
            return exit::OTHER;
        }
    };
    if matches!(source, RedirectSource::Stdin) {
        eprintln!("after approving, paste the URL the browser was redirected to, then press Enter");
    }
    match drive(flow, source, timeout).await {
        Ok(tokens) => {
            println!("{}", tokens_json(&tokens));
            exit::OK
        }
        Err(e) => exit::report(&e),
    }
}

fn tokens_json(tokens: &TokenSet) -> serde_json::Value {
    serde_json::json!({
        "access_token": tokens.access_token.expose(),
        "refresh_token": tokens.refresh_token.as_ref().map(|t| t.expose()),
        "token_type": tokens.token_type,
        "expires_in": tokens.expires_in_as_issued(obauth::timestamp::now()),
        "consent_id": tokens.consent_id,
    })
}
