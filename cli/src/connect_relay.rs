//! `obauth connect --relay-url URL --app-token TOKEN --api-url URL --client-id ID
//! --redirect-uri URI [--scope SCOPE] [--timeout SECS]`: the Aiia Data connect flow through the
//! app's relay (`obauth relay`), so no client secret is on the device.
//!
//! The user consents on the provider's page (`--api-url`, with the partner's public
//! `--client-id`); the code is exchanged at the relay with the app token, and the relay adds the
//! partner's Basic authentication. Output and exit codes are `obauth connect`'s. The command line
//! cannot get a fresh app token, so a token the relay refuses (`InvalidAppToken`) ends the run:
//! `app_token_rejected`, exit 6. `--client-secret` is refused (exit 2): the relay holds it.

use obauth::{AuthorizationParams, Client, ClientConfig, ConsentPage, Secret};

use crate::args::{Flags, UsageError};
use crate::exit;

const FLAGS: &[&str] = &[
    "relay-url",
    "app-token",
    "api-url",
    "client-id",
    "client-secret",
    "redirect-uri",
    "scope",
    "timeout",
];

struct Options {
    config: ClientConfig,
    consent: ConsentPage,
    params: AuthorizationParams,
}

fn options(args: &[String]) -> Result<Options, UsageError> {
    let flags = Flags::parse(args, FLAGS)?;
    if flags.get("client-secret").is_some() {
        return Err(UsageError(
            "--client-secret cannot be combined with --relay-url (the relay holds it)".into(),
        ));
    }
    let token = Secret::new(flags.required("app-token", Some("OBAUTH_APP_TOKEN"))?);
    let config = ClientConfig::relay(
        flags.required("relay-url", None)?,
        crate::login::fixed_token(token),
    );
    let consent = ConsentPage::new(
        flags.required("api-url", None)?,
        flags.required("client-id", Some("OBAUTH_CLIENT_ID"))?,
    );
    let mut params = AuthorizationParams::new(flags.required("redirect-uri", None)?);
    params.scope = flags.get("scope").map(str::to_owned);
    if let Some(t) = flags.seconds("timeout")? {
        params.timeout = t;
    }
    Ok(Options {
        config,
        consent,
        params,
    })
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
    match Client::new(opts.config)
        .and_then(|c| c.relay_connect_flow(&opts.consent, opts.params, None, None))
    {
        Ok(flow) => crate::connect::complete(&flow, timeout).await,
        Err(e) => exit::report(&e),
    }
}
