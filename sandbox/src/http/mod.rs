//! HTTP helpers with no state of their own: response shapes (the provider's JSON errors, OAuth
//! errors, HTML pages, redirects), request parsing (JSON bodies, OAuth parameters, the
//! `Authorization` header), query strings, and the per-connection handle the `DropConnection`
//! fault uses.
//!
//! Every route and middleware answers through these, which is what keeps the wire shapes
//! identical everywhere. Nothing here reads the shared state or knows a route.

pub(crate) mod authorization;
pub(crate) mod connection;
pub(crate) mod oauth_error;
pub(crate) mod params;
pub(crate) mod query;
pub(crate) mod respond;
