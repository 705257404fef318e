//! The mirrors of `src/types.rs` convert to the core's types and back without losing anything
//! (kept here, outside `src/`, which holds translation only).

use std::collections::HashMap;
use std::time::Duration;

use obauth::{CodeSource, Timestamp};
use obauth_ffi::{AuthorizationParams, SupervisedLoginParams, SupervisedTokens};

#[test]
fn params_keep_the_core_defaults_unless_given() {
    let core = obauth::AuthorizationParams::from(AuthorizationParams {
        redirect_uri: "https://app.example.com/cb".into(),
        redirect_pattern: None,
        scope: None,
        timeout_ms: None,
        code_lifetime_ms: Some(2_000),
        prompt: None,
        login_hint: Some("jane".into()),
        ui_locales: None,
        max_age_seconds: Some(60),
        acr_values: None,
        extra_params: HashMap::from([("audience".into(), "api".into())]),
        pkce: true,
    });
    assert_eq!(core.extras.login_hint.as_deref(), Some("jane"));
    assert_eq!(core.extras.max_age_seconds, Some(60));
    assert_eq!(core.extras.params["audience"], "api");
    let defaults = obauth::AuthorizationParams::new("https://app.example.com/cb");
    assert_eq!(core.timeout, defaults.timeout);
    assert_eq!(core.code_lifetime, Duration::from_secs(2));
    let core = obauth::SupervisedLoginParams::from(SupervisedLoginParams {
        user_hash: "user-0001".into(),
        redirect_url: "https://app.example.com/cb".into(),
        poll_timeout_ms: Some(5_000),
        timeout_ms: None,
    });
    assert_eq!(core.poll_timeout, Duration::from_secs(5));
    assert_eq!(core.timeout, Duration::from_secs(15 * 60));
}

#[test]
fn supervised_tokens_round_trip() {
    let ffi = SupervisedTokens {
        access_token: "at".into(),
        access_token_expires: Timestamp::from_unix_millis(1_700_000_000_000),
        login_token: "lt".into(),
        login_token_expires: Timestamp::from_unix_millis(1_800_000_000_000),
        provider_id: "bank".into(),
        supports_unattended: true,
        label: Some("label".into()),
        subject_id: None,
        completed_via: CodeSource::Redirect,
    };
    let core = obauth::SupervisedTokens::from(ffi.clone());
    assert_eq!(core.session.token().expose(), "at");
    assert_eq!(core.login.token.expose(), "lt");
    let back = SupervisedTokens::from(core);
    assert_eq!(format!("{back:?}"), format!("{ffi:?}"));
    assert!(!format!("{back:?}").contains("\"at\""));
}
