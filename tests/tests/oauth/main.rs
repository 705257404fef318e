//! End-to-end scenarios for the OAuth flows: the Aiia Data connect flow, OpenID Connect
//! authorization code + PKCE, the client-credentials grant (Aritma `client_secret_post`, Apiture
//! `client_secret_basic` via discovery), the token lifecycle (refresh rotation, `invalid_grant`,
//! single-flight renewal, sliding expiry), kill-and-restore through snapshots, and the golden
//! snapshots of every flow kind and phase that every later ObAuth must still restore
//! (`golden_snapshots`, fixtures in `tests/fixtures/snapshots/v1/`).
//!
//! The real core (reqwest, tokio, the driver) runs against the real sandbox over loopback HTTP,
//! no mocks in between; the user's browser is played by `obauth_e2e::oauth_browser` on the
//! sandbox's hosted consent pages. Every scenario asserts what the host observed (outcomes,
//! states, tokens) *and* what the provider saw (`Sandbox::stats`, `Sandbox::token_requests`:
//! grant types, client-authentication methods, statuses), and runs the `Debug` output of what it
//! met past the secrets involved.
//!
//! One binary with a module per concern (like `tests/e2e`), so the suite links once and its
//! tests run in parallel, each against its own sandbox on a random port. Waits are sub-second
//! except where a real token lifetime has to run down (two tests wait about one second).

mod client_credentials;
mod connect_flow;
mod golden_snapshots;
mod persistence;
mod pkce_flow;
mod restore_checks;
mod sign_out;
mod token_lifecycle;

/// The error of a result whose success type has no `Debug` (flow handles): panics on `Ok`.
pub fn err<T>(result: Result<T, obauth::Error>) -> obauth::Error {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}
