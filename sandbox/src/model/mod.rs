//! The provider's domain, without HTTP: endpoints and faults, the scripted user, supervised-login
//! sessions and their codes and tokens, the OAuth flows' requests, codes and tokens, counters,
//! and the rules that decide them (redirect-URI matching, scope lists).
//!
//! Everything here is plain data and synchronous rules that take `now` from the caller, so it is
//! unit-tested without a server or a clock. Nothing in this layer imports the HTTP helpers, the
//! shared state or the routes; the public value types the crate re-exports (`Endpoint`, `Fault`,
//! `UserScript`, `Stats`, ...) are defined here.

pub(crate) mod correlation;
pub(crate) mod endpoint;
pub(crate) mod fault;
pub(crate) mod oauth_store;
pub(crate) mod redirect_uri;
pub(crate) mod scopes;
pub(crate) mod session;
pub(crate) mod stats;
pub(crate) mod store;
pub(crate) mod token_request;
pub(crate) mod user;
