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

use obauth::Secret;

use crate::args::{self, UnattendedArgs, UsageError};
use crate::exit;

/// Runs the command; returns the exit code.
pub async fn run(a: UnattendedArgs) -> i32 {
    let parsed = (|| -> Result<_, UsageError> {
        let config = a.partner.config()?;
        let user_hash = args::required(&a.user_hash, "user-hash", None)?;
        let login_token = Secret::new(args::required(
            &a.login_token,
            "login-token",
            Some("OBAUTH_LOGIN_TOKEN"),
        )?);
        Ok((config, user_hash, login_token))
    })();
    let (config, user_hash, login_token) = match parsed {
        Ok(p) => p,
        Err(e) => return args::usage_error("unattended", e),
    };
    let client = match obauth::Client::new(config) {
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
