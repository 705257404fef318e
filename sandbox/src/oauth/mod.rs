//! What the OAuth endpoints share, above the shared state and below the routes: the authorize
//! machinery of the two browser flows (`authorize`), client authentication at the form token
//! endpoint (`client_auth`), the client-credentials grant (`client_credentials`) and the pieces
//! both token endpoints use (`token`).
//!
//! The Aiia connect flow, OIDC authorize and the two token endpoints are separate route modules
//! that must behave alike where the RFCs say so; what they have in common is written once here
//! instead of one route importing another.

pub(crate) mod authorize;
pub(crate) mod client_auth;
pub(crate) mod client_credentials;
pub(crate) mod token;
