//! `obauth token`: the client-credentials grant (Aritma, Apiture) from the terminal.
//!
//! The token endpoint is given (`--token-url`) or discovered from the issuer (`--issuer`);
//! client authentication is `client_secret_post` (`--client-auth post`, the default, as Aritma)
//! or `client_secret_basic` (`--client-auth basic`, as Apiture). Prints `{"access_token",
//! "token_type", "expires_in", "scope"}` on stdout. Exit codes and error lines as for
//! `obauth login`.

use obauth::{ClientAuth, ClientCredentialsConfig, DEFAULT_REFRESH_SKEW, OidcClient, Secret};

use crate::args::{Flags, UsageError};
use crate::exit;

const FLAGS: &[&str] = &[
    "token-url",
    "issuer",
    "client-id",
    "client-secret",
    "scope",
    "client-auth",
];

fn config(args: &[String]) -> Result<ClientCredentialsConfig, UsageError> {
    let flags = Flags::parse(args, FLAGS)?;
    let (token_url, issuer) = (flags.get("token-url"), flags.get("issuer"));
    if token_url.is_some() == issuer.is_some() {
        return Err(UsageError(
            "give exactly one of --token-url and --issuer".into(),
        ));
    }
    let client_auth = match flags.get("client-auth").unwrap_or("post") {
        "post" => ClientAuth::Post,
        "basic" => ClientAuth::Basic,
        other => {
            return Err(UsageError(format!(
                "--client-auth must be post or basic, not {other:?}"
            )));
        }
    };
    Ok(ClientCredentialsConfig {
        token_url: token_url.map(str::to_owned),
        issuer: issuer.map(str::to_owned),
        client_id: flags.required("client-id", Some("OBAUTH_CLIENT_ID"))?,
        client_secret: Secret::new(flags.required("client-secret", Some("OBAUTH_CLIENT_SECRET"))?),
        scope: flags.get("scope").map(str::to_owned),
        client_auth,
    })
}

/// Runs the command; returns the exit code.
pub async fn run(args: &[String]) -> i32 {
    let config = match config(args) {
        Ok(c) => c,
        Err(UsageError(msg)) => {
            eprintln!("error: {msg}");
            eprintln!("{}", crate::USAGE);
            return exit::INVALID_INPUT;
        }
    };
    let client = match OidcClient::new() {
        Ok(c) => c,
        Err(e) => return exit::report(&e),
    };
    let result = match client
        .client_credentials(config, DEFAULT_REFRESH_SKEW)
        .await
    {
        Ok(manager) => manager.fresh_token().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(tokens) => {
            println!(
                "{}",
                serde_json::json!({
                    "access_token": tokens.access_token.expose(),
                    "token_type": tokens.token_type,
                    "expires_in": tokens.expires_in_as_issued(obauth::timestamp::now()),
                    "scope": tokens.scope,
                })
            );
            exit::OK
        }
        Err(e) => exit::report(&e),
    }
}
