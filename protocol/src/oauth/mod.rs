//! OAuth 2.0 pieces shared by every flow that talks to a token endpoint.
//!
//! - `token`: the token set and the wire format of token endpoints, in one place: Aiia Data's
//!   JSON body with HTTP Basic client authentication, and the standard form-encoded body with
//!   `client_secret_post`, `client_secret_basic` or no secret (public clients with PKCE).
//! - `pkce`: the per-flow values (state, nonce, PKCE verifier) from entropy handed in, S256
//!   challenges, constant-time comparison.
//! - [`discovery`]: OpenID Connect discovery documents and the RP-initiated logout URL (a
//!   namespace of its own: its `request` and `parse` are named for it).
//! - [`id_token`]: the checks of ID tokens after a login and after a refresh.
//! - [`authorize`]: a caller's extra authorization-request parameters (`prompt`, `login_hint`, …),
//!   checked so they can never override the flow's own.
//!
//! `token` and `pkce` are crate-private: what they offer is re-exported here.

pub mod authorize;
pub mod discovery;
pub mod id_token;
pub(crate) mod pkce;
pub(crate) mod token;

pub use authorize::{AuthorizeExtras, RESERVED_AUTHORIZE_PARAMETERS};
pub use discovery::ProviderMetadata;
pub use pkce::{FLOW_SECRETS_ENTROPY, FlowSecrets, constant_time_eq, s256_challenge, urlsafe};
pub use token::{
    BasicEncoding, ClientAuth, TokenEndpoint, TokenSet, TokenTypeHint, TokenWire, oauth_failure,
    parse_token_response,
};
