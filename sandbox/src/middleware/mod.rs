//! Request middleware over the shared state: the guard in front of every provider endpoint
//! (count, fault, partner auth) and the optional access log over the whole router.
//!
//! Separate from the routes so a route never wonders whether it was counted or faulted, and
//! separate from the router so the routes can install the guard without importing the router.

pub(crate) mod access_log;
pub(crate) mod guard;
