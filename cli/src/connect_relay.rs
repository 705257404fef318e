//! `obauth connect --relay-url URL --app-token TOKEN --api-url URL --client-id ID
//! --redirect-uri URI [--scope SCOPE] [--timeout SECS]`: the Aiia Data connect flow through the
//! app's relay (`obauth relay`), so no client secret is on the device.
//!
//! The user consents on the provider's page (`--api-url`, with the partner's public
//! `--client-id`); the code is exchanged at the relay with the app token, and the relay adds the
//! partner's Basic authentication. Output and exit codes are `obauth connect`'s. The command line
//! cannot get a fresh app token, so a token the relay refuses (`InvalidAppToken`) ends the run:
//! `app_token_rejected`, exit 6. `--client-secret` is refused (exit 2): the relay holds it.

use obauth::{AuthorizationParams, Client, ClientConfig, ConsentPage};

use crate::args::{self, ConnectArgs, UsageError};
use crate::drive::run_authorization;
use crate::exit;

struct Options {
    config: ClientConfig,
    consent: ConsentPage,
    params: AuthorizationParams,
}

fn options(a: &ConnectArgs) -> Result<Options, UsageError> {
    if a.partner.client_secret.is_some() {
        return Err(UsageError(
            "--client-secret cannot be combined with --relay-url (the relay holds it)".into(),
        ));
    }
    let config = a.flow.relay_config()?;
    let consent = ConsentPage::new(
        args::required(&a.partner.api_url, "api-url", None)?,
        args::required(&a.partner.client_id, "client-id", Some("OBAUTH_CLIENT_ID"))?,
    );
    let mut params =
        AuthorizationParams::new(args::required(&a.redirect_uri, "redirect-uri", None)?);
    params.scope = a.scope.clone();
    if let Some(t) = args::seconds(&a.flow.timeout, "timeout")? {
        params.timeout = t;
    }
    Ok(Options {
        config,
        consent,
        params,
    })
}

/// Runs the command; returns the exit code.
pub async fn run(a: ConnectArgs) -> i32 {
    let opts = match options(&a) {
        Ok(o) => o,
        Err(e) => return args::usage_error("connect", e),
    };
    let timeout = opts.params.timeout;
    match Client::new(opts.config)
        .and_then(|c| c.relay_connect_flow(&opts.consent, opts.params, None, None))
    {
        Ok(flow) => run_authorization(&flow, timeout, a.flow.qr.qr, crate::connect::FIELDS).await,
        Err(e) => exit::report(&e),
    }
}
