//! `obauth login`: a complete Aiia Enterprise supervised login from the terminal.
//!
//! The contract (kept exactly; it is how the product is checked end to end):
//! `auth_url: <URL>` on stderr as soon as it is known, human progress on stderr, one JSON object
//! on stdout on success, exit 2 for input rejected before any request, another non-zero code
//! and one `error: …` line for every other failure. The client secret is never printed.

use obauth::{Client, ClientConfig, SupervisedLoginParams, SupervisedTokens};

use crate::args::{Flags, UsageError};
use crate::drive::{RedirectSource, drive};
use crate::exit;

const FLAGS: &[&str] = &[
    "api-url",
    "client-id",
    "client-secret",
    "user-hash",
    "redirect-url",
    "poll-timeout",
    "timeout",
];

struct Options {
    config: ClientConfig,
    params: SupervisedLoginParams,
}

fn options(args: &[String]) -> Result<Options, UsageError> {
    let flags = Flags::parse(args, FLAGS)?;
    let config = ClientConfig::new(
        flags.required("api-url", None)?,
        flags.required("client-id", Some("OBAUTH_CLIENT_ID"))?,
        flags.required("client-secret", Some("OBAUTH_CLIENT_SECRET"))?,
    );
    let mut params = SupervisedLoginParams::new(
        flags.required("user-hash", None)?,
        flags.required("redirect-url", None)?,
    );
    if let Some(poll) = flags.seconds("poll-timeout")? {
        params.poll_timeout = poll;
    }
    if let Some(timeout) = flags.seconds("timeout")? {
        params.timeout = timeout;
    }
    Ok(Options { config, params })
}

/// Runs the command; returns the exit code.
pub async fn run(args: &[String]) -> i32 {
    let opts = match options(args) {
        Ok(o) => o,
        Err(UsageError(msg)) => {
            eprintln!("error: {msg}");
            eprintln!("{}", crate::USAGE);
            return exit::INVALID_INPUT;
        }
    };
    let timeout = opts.params.timeout;
    let client = match Client::new(opts.config) {
        Ok(c) => c,
        Err(e) => return exit::report(&e),
    };
    let login = match client.supervised_login(opts.params) {
        Ok(l) => l,
        Err(e) => return exit::report(&e),
    };

    let source = match RedirectSource::for_flow(&login, RedirectSource::None).await {
        Ok(source) => source,
        Err(msg) => {
            eprintln!("error: {msg}");
            return exit::OTHER;
        }
    };
    let outcome = drive(&login, source, timeout).await;
    match outcome {
        Ok(tokens) => {
            println!("{}", tokens_json(&tokens));
            exit::OK
        }
        Err(e) => exit::report(&e),
    }
}

/// The stdout object of a successful login.
pub fn tokens_json(tokens: &SupervisedTokens) -> serde_json::Value {
    serde_json::json!({
        "access_token": tokens.session.token().expose(),
        "access_token_expires": tokens.session.expires().to_rfc3339(),
        "login_token": tokens.login.token.expose(),
        "login_token_expires": tokens.login.expires.to_rfc3339(),
        "provider_id": tokens.provider_id,
        "supports_unattended": tokens.login.supports_unattended,
        "completed_via": tokens.completed_via.as_str(),
    })
}
