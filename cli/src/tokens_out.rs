//! The one JSON object a token-returning command prints on stdout, built in one place from a
//! [`TokenSet`] and the fields that command's contract names.

use obauth::{Error, TokenSet};
use serde_json::{Map, Value, json};

use crate::exit;

/// A field of a token object.
#[derive(Clone, Copy, Debug)]
pub enum Field {
    /// `access_token`.
    AccessToken,
    /// `refresh_token` (`null` if none).
    RefreshToken,
    /// `id_token` (`null` if none).
    IdToken,
    /// `token_type`.
    TokenType,
    /// `expires_in`: the provider's own number (else seconds left; `null` if it did not say).
    ExpiresIn,
    /// `scope` (`null` if the provider did not say).
    Scope,
    /// `consent_id` (Aiia's; `null` if none).
    ConsentId,
}

/// A token-returning command's ending: the tokens' JSON object with `fields` on stdout (exit 0),
/// or the error line and its exit code.
pub fn print(result: Result<TokenSet, Error>, fields: &[Field]) -> i32 {
    match result {
        Ok(tokens) => {
            println!("{}", token_json(&tokens, fields));
            exit::OK
        }
        Err(e) => exit::report(&e),
    }
}

/// The JSON object with `fields`, in that order.
pub fn token_json(tokens: &TokenSet, fields: &[Field]) -> Value {
    let mut object = Map::new();
    for field in fields {
        let (name, value) = match field {
            Field::AccessToken => ("access_token", json!(tokens.access_token.expose())),
            Field::RefreshToken => (
                "refresh_token",
                json!(tokens.refresh_token.as_ref().map(|t| t.expose())),
            ),
            Field::IdToken => (
                "id_token",
                json!(tokens.id_token.as_ref().map(|t| t.expose())),
            ),
            Field::TokenType => ("token_type", json!(tokens.token_type)),
            Field::ExpiresIn => (
                "expires_in",
                json!(tokens.expires_in_as_issued(obauth::timestamp::now())),
            ),
            Field::Scope => ("scope", json!(tokens.scope)),
            Field::ConsentId => ("consent_id", json!(tokens.consent_id)),
        };
        object.insert(name.to_owned(), value);
    }
    Value::Object(object)
}
