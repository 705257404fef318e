//! `obauth unattended`: a new Aiia Enterprise session from a stored login token, without the
//! user (`POST /v1/authentication/unattended`).
//!
//! The contract: `obauth unattended --api-url URL --client-id ID --client-secret SECRET
//! --user-hash HASH --login-token TOKEN` prints on stdout the same JSON object as `obauth login`
//! without `completed_via` (no code was involved): `access_token`, `access_token_expires`,
//! `login_token` (the new one: it replaces the stored one), `login_token_expires`,
//! `provider_id`, `supports_unattended`. A login token the provider refuses (expired, replaced,
//! unknown, or a bank without unattended logins) exits 9 with an `error: …` line that says to
//! start a supervised login; every other failure exits as `obauth login` does. The client id,
//! secret and login token may come from `OBAUTH_CLIENT_ID`, `OBAUTH_CLIENT_SECRET` and
//! `OBAUTH_LOGIN_TOKEN` (a login token on the command line is visible to other local users).

use obauth::{Client, ClientConfig, Secret};

use crate::args::{Flags, UsageError};
use crate::exit;

const FLAGS: &[&str] = &[
    "api-url",
    "client-id",
    "client-secret",
    "user-hash",
    "login-token",
];

/// Runs the command; returns the exit code.
pub async fn run(args: &[String]) -> i32 {
    let parsed = (|| -> Result<_, UsageError> {
        let flags = Flags::parse(args, FLAGS)?;
        let config = ClientConfig::new(
            flags.required("api-url", None)?,
            flags.required("client-id", Some("OBAUTH_CLIENT_ID"))?,
            flags.required("client-secret", Some("OBAUTH_CLIENT_SECRET"))?,
        );
        let user_hash = flags.required("user-hash", None)?;
        let login_token = Secret::new(flags.required("login-token", Some("OBAUTH_LOGIN_TOKEN"))?);
        Ok((config, user_hash, login_token))
    })();
    let (config, user_hash, login_token) = match parsed {
        Ok(p) => p,
        Err(UsageError(msg)) => {
            eprintln!("error: {msg}");
            eprintln!("{}", crate::USAGE);
            return exit::INVALID_INPUT;
        }
    };
    let client = match Client::new(config) {
        Ok(c) => c,
        Err(e) => return exit::report(&e),
    };
    match client.unattended_login(&user_hash, &login_token).await {
        Ok(tokens) => {
            let mut json = crate::login::tokens_json(&tokens);
            if let Some(object) = json.as_object_mut() {
                object.remove("completed_via");
            }
            println!("{json}");
            exit::OK
        }
        Err(e) => exit::report(&e),
    }
}
