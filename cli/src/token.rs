//! `obauth token`: the client-credentials grant (Aritma, Apiture) from the terminal.
//!
//! The token endpoint is given (`--token-url`) or discovered from the issuer (`--issuer`);
//! client authentication is `client_secret_post` (`--client-auth post`, the default, as Aritma)
//! or `client_secret_basic` (`--client-auth basic`, as Apiture). Prints `{"access_token",
//! "token_type", "expires_in", "scope"}` on stdout. Exit codes and error lines as for
//! `obauth login`.

use obauth::{ClientAuth, ClientCredentialsConfig, DEFAULT_REFRESH_SKEW, OidcClient, Secret};

use crate::args::{self, TokenArgs, TokenClientArgs, UsageError};
use crate::exit;
use crate::tokens_out::{self, Field};

/// The endpoint and client of `token` and `refresh`: exactly one of `--token-url` and
/// `--issuer`; `--client-auth` one of `allowed` (the first is the default); a secret unless the
/// method is `none`.
pub fn client_config(
    a: &TokenClientArgs,
    allowed: &[&str],
) -> Result<ClientCredentialsConfig, UsageError> {
    let (token_url, issuer) = (&a.token_url, &a.issuer);
    if token_url.is_some() == issuer.is_some() {
        return Err(UsageError(
            "give exactly one of --token-url and --issuer".into(),
        ));
    }
    let method = a.client_auth.as_deref().unwrap_or(allowed[0]);
    let client_auth = match method {
        "post" if allowed.contains(&"post") => ClientAuth::Post,
        "basic" if allowed.contains(&"basic") => ClientAuth::Basic,
        "none" if allowed.contains(&"none") => ClientAuth::None,
        other => {
            return Err(UsageError(format!(
                "--client-auth must be {}, not {other:?}",
                allowed.join(" or ")
            )));
        }
    };
    let client_secret = match client_auth {
        ClientAuth::None => match &a.client_secret {
            Some(_) => {
                return Err(UsageError(
                    "--client-secret cannot be combined with --client-auth none".into(),
                ));
            }
            None => Secret::new(""),
        },
        _ => Secret::new(args::required(
            &a.client_secret,
            "client-secret",
            Some("OBAUTH_CLIENT_SECRET"),
        )?),
    };
    Ok(ClientCredentialsConfig {
        token_url: token_url.clone(),
        issuer: issuer.clone(),
        client_id: args::required(&a.client_id, "client-id", Some("OBAUTH_CLIENT_ID"))?,
        client_secret,
        scope: None,
        client_auth,
    })
}

/// Runs the command; returns the exit code.
pub async fn run(a: TokenArgs) -> i32 {
    let config = match client_config(&a.client, &["post", "basic"]) {
        Ok(c) => ClientCredentialsConfig {
            scope: a.scope.clone(),
            ..c
        },
        Err(e) => return args::usage_error("token", e),
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
    tokens_out::print(
        result,
        &[
            Field::AccessToken,
            Field::TokenType,
            Field::ExpiresIn,
            Field::Scope,
        ],
    )
}
