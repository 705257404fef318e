//! `obauth login`: a complete Aiia Enterprise supervised login from the terminal.
//!
//! The contract (kept exactly; it is how the product is checked end to end):
//! `auth_url: <URL>` on stderr as soon as it is known, human progress on stderr, one JSON object
//! on stdout on success, exit 2 for input rejected before any request, another non-zero code
//! and one `error: …` line for every other failure. The client secret is never printed.
//!
//! Relay mode (`--relay-url URL --app-token TOKEN`): the login goes through the app's relay
//! (`obauth relay`) with the app token; no client id, secret or userHash. The CLI cannot get a
//! fresh app token, so a token the relay refuses (`InvalidAppToken`) ends the run at once:
//! `app_token_rejected`, exit 6.

use obauth::{Client, ClientConfig, SupervisedLoginParams, SupervisedTokens};

use crate::args::{self, LoginArgs, UsageError};
use crate::drive::{RedirectSource, drive};
use crate::exit;

struct Options {
    config: ClientConfig,
    params: SupervisedLoginParams,
}

fn options(a: &LoginArgs) -> Result<Options, UsageError> {
    let (config, user_hash) = if a.flow.relay_url.is_some() {
        // The partner-mode flags that relay mode refuses (the relay holds what they name).
        let partner_flag = a
            .partner
            .given()
            .or_else(|| a.user_hash.is_some().then_some("user-hash"));
        if let Some(flag) = partner_flag {
            return Err(UsageError(format!(
                "--{flag} cannot be combined with --relay-url (the relay holds it)"
            )));
        }
        (a.flow.relay_config()?, String::new())
    } else {
        if a.flow.app_token.is_some() {
            return Err(UsageError("--app-token needs --relay-url".into()));
        }
        (
            a.partner.config()?,
            args::required(&a.user_hash, "user-hash", None)?,
        )
    };
    let mut params = SupervisedLoginParams::new(
        user_hash,
        args::required(&a.redirect_url, "redirect-url", None)?,
    );
    if let Some(poll) = args::seconds(&a.poll_timeout, "poll-timeout")? {
        params.poll_timeout = poll;
    }
    if let Some(timeout) = args::seconds(&a.flow.timeout, "timeout")? {
        params.timeout = timeout;
    }
    Ok(Options { config, params })
}

/// Runs the command; returns the exit code.
pub async fn run(a: LoginArgs) -> i32 {
    let opts = match options(&a) {
        Ok(o) => o,
        Err(e) => return args::usage_error("login", e),
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
    let outcome = drive(&login, source, timeout, a.flow.qr.qr).await;
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
