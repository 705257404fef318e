//! `obauth connect`: the Aiia Data connect flow from the terminal.
//!
//! Prints `auth_url: <URL>` on stderr, takes the redirect on a loopback listener (for a
//! `http://127.0.0.1:PORT/…` or `localhost` redirect URI) or as one line on stdin (paste the URL
//! the browser was sent to), and prints `{"access_token", "refresh_token", "token_type",
//! "expires_in", "consent_id"}` on stdout. A forged or stale `state` ends it without any
//! exchange. Exit codes and error lines as for `obauth login`. With `--relay-url` the command is
//! [`crate::connect_relay`]'s.

use obauth::{AuthorizationParams, Client, ClientConfig};

use crate::args::{self, ConnectArgs, UsageError};
use crate::drive::run_authorization;
use crate::exit;
use crate::tokens_out::Field;

fn options(a: &ConnectArgs) -> Result<(ClientConfig, AuthorizationParams), UsageError> {
    let config = a.partner.config()?;
    let mut params =
        AuthorizationParams::new(args::required(&a.redirect_uri, "redirect-uri", None)?);
    params.scope = a.scope.clone();
    if let Some(t) = args::seconds(&a.flow.timeout, "timeout")? {
        params.timeout = t;
    }
    Ok((config, params))
}

/// Runs the command; returns the exit code.
pub async fn run(a: ConnectArgs) -> i32 {
    if a.flow.relay_url.is_some() {
        return crate::connect_relay::run(a).await;
    }
    if a.flow.app_token.is_some() {
        return args::usage_error(
            "connect",
            UsageError("--app-token needs --relay-url".into()),
        );
    }
    let (config, params) = match options(&a) {
        Ok(p) => p,
        Err(e) => return args::usage_error("connect", e),
    };
    let timeout = params.timeout;
    let flow = match Client::new(config).and_then(|c| c.connect_flow(params, None, None)) {
        Ok(f) => f,
        Err(e) => return exit::report(&e),
    };
    run_authorization(&flow, timeout, a.flow.qr.qr, FIELDS).await
}

/// The stdout object's fields (partner and relay mode).
pub const FIELDS: &[Field] = &[
    Field::AccessToken,
    Field::RefreshToken,
    Field::TokenType,
    Field::ExpiresIn,
    Field::ConsentId,
];
