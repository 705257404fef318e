//! Exit codes and the one `error: …` line, so scripts can tell failures apart.

use obauth::Error;

/// Success.
pub const OK: i32 = 0;
/// Anything else (I/O problems of the CLI itself, unexpected states).
pub const OTHER: i32 = 1;
/// Invalid input detected before any request was sent (usage, bad userHash, insecure URL).
pub const INVALID_INPUT: i32 = 2;
/// Cancelled by the user at the bank or by Ctrl-C, or a connect flow that came back without a
/// code (cancelled or failed at the bank: start again).
pub const CANCELLED: i32 = 3;
/// The login failed at the bank, or the provider says no session applies.
pub const FAILED: i32 = 4;
/// The overall `--timeout` passed.
pub const TIMED_OUT: i32 = 5;
/// The provider rejected the client credentials (401), or the relay the app token.
pub const UNAUTHORIZED: i32 = 6;
/// Network or provider trouble that outlasted the retries.
pub const UNAVAILABLE: i32 = 7;
/// A protocol problem: rejected or expired code, malformed answers, forged redirect.
pub const PROTOCOL: i32 = 8;
/// The provider refused the stored grant: the login token (`unattended`: start a supervised
/// login) or the refresh token (`refresh`, `invalid_grant`): sign in again.
pub const SIGN_IN_AGAIN: i32 = 9;

/// The exit code for a flow error.
pub fn code_for(error: &Error) -> i32 {
    match error {
        Error::InvalidInput { .. } => INVALID_INPUT,
        Error::Cancelled { .. } | Error::StartAgain => CANCELLED,
        Error::LoginTokenRejected { .. } => SIGN_IN_AGAIN,
        Error::LoginFailed { .. } | Error::NotApplicable => FAILED,
        Error::TimedOut(_) => TIMED_OUT,
        Error::BadClientCredentials | Error::AppTokenRejected => UNAUTHORIZED,
        e if e.is_transient() => UNAVAILABLE,
        _ => PROTOCOL,
    }
}

/// Prints the error line and returns its exit code.
pub fn report(error: &Error) -> i32 {
    eprintln!("error: {error}");
    code_for(error)
}
