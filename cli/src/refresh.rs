//! `obauth refresh`: the refresh-token grant (RFC 6749 §6) at a token endpoint, given
//! (`--token-url`) or discovered (`--issuer`), as a confidential client (`--client-auth post`,
//! the default, or `basic`, with `--client-secret`) or a public one (`--client-auth none`, as
//! after `obauth pkce`). Prints `{"access_token", "refresh_token", "token_type", "expires_in",
//! "scope"}` on stdout (the refresh token is the rotated one when the provider rotates, else the
//! one given). A refresh token the provider refuses (`invalid_grant`) exits 9: sign in again;
//! refused client credentials (`invalid_client`) exit 6. Other exit codes as for `obauth login`.

use obauth::{DEFAULT_REFRESH_SKEW, Error, OidcClient, Secret};

use crate::args::{self, RefreshArgs};
use crate::exit;
use crate::token::client_config;
use crate::tokens_out::{self, Field};

/// Runs the command; returns the exit code.
pub async fn run(a: RefreshArgs) -> i32 {
    let parsed = client_config(&a.client, &["post", "basic", "none"]).and_then(|config| {
        let token = args::required(
            &a.refresh_token,
            "refresh-token",
            Some("OBAUTH_REFRESH_TOKEN"),
        )?;
        Ok((config, Secret::new(token)))
    });
    let (config, refresh_token) = match parsed {
        Ok(p) => p,
        Err(e) => return args::usage_error("refresh", e),
    };
    let client = match OidcClient::new() {
        Ok(c) => c,
        Err(e) => return exit::report(&e),
    };
    let result = match client
        .refresh_tokens(config, refresh_token, DEFAULT_REFRESH_SKEW)
        .await
    {
        Ok(manager) => manager.force_renewal().await,
        Err(e) => Err(e),
    };
    match result {
        // Only here is a refused grant the stored one: sign in again (exit 9).
        Err(Error::InvalidGrant) => {
            eprintln!("error: {}", Error::InvalidGrant);
            exit::SIGN_IN_AGAIN
        }
        result => tokens_out::print(
            result,
            &[
                Field::AccessToken,
                Field::RefreshToken,
                Field::TokenType,
                Field::ExpiresIn,
                Field::Scope,
            ],
        ),
    }
}
