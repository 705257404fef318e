//! OAuth request parameters from a query string or a form body (`application/x-www-form-urlencoded`).
//!
//! RFC 6749 §3.1 sets two rules every OAuth endpoint here follows, so they live in one place:
//! parameters sent without a value are treated as omitted, and a parameter must not appear more
//! than once (a repeated `redirect_uri` or `code` is how parameter-pollution attacks start).
//! Values are form-decoded (`+` is a space, `%XX` a byte), which is what the specification asks
//! of clients; a client that puts a raw `+` into `state` gets a space back, as from a real server.

use std::collections::HashMap;

/// The longest value the sandbox accepts for any one parameter, in bytes. Real servers cap URL
/// and form sizes too; a client should not put kilobytes into `state`.
pub(crate) const MAX_VALUE_LEN: usize = 4096;

/// Decoded parameters, each at most once.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params {
    values: HashMap<String, String>,
    /// Parameters that appeared more than once, in order of first repetition.
    repeated: Vec<String>,
    /// The first parameter whose value exceeded [`MAX_VALUE_LEN`], if any.
    too_long: Option<String>,
}

impl Params {
    /// Parses `a=1&b=2`; never fails (problems are kept for [`Params::problem`]).
    pub fn parse(encoded: &[u8]) -> Params {
        let mut params = Params::default();
        for (name, value) in url::form_urlencoded::parse(encoded) {
            if value.is_empty() {
                continue;
            }
            if value.len() > MAX_VALUE_LEN && params.too_long.is_none() {
                params.too_long = Some(name.to_string());
            }
            if params.values.contains_key(name.as_ref()) {
                if !params.repeated.iter().any(|r| r == name.as_ref()) {
                    params.repeated.push(name.into_owned());
                }
                continue;
            }
            params.values.insert(name.into_owned(), value.into_owned());
        }
        params
    }

    /// Parses an optional query string.
    pub fn from_query(query: Option<&str>) -> Params {
        query
            .map(|q| Params::parse(q.as_bytes()))
            .unwrap_or_default()
    }

    /// The value of `name`, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Whether `name` appeared more than once.
    pub fn is_repeated(&self, name: &str) -> bool {
        self.repeated.iter().any(|r| r == name)
    }

    /// A description of the first rule broken (a repeated or oversized parameter), if any.
    pub fn problem(&self) -> Option<String> {
        if let Some(name) = self.repeated.first() {
            return Some(format!(
                "the parameter '{name}' must not be sent more than once"
            ));
        }
        self.too_long
            .as_ref()
            .map(|name| format!("the parameter '{name}' is longer than {MAX_VALUE_LEN} bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_are_omitted_and_repeats_are_flagged() {
        let p = Params::parse(b"a=1&b=&c=x+y%2Bz&a=2");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y+z"));
        assert!(p.is_repeated("a"));
        assert!(p.problem().unwrap().contains("'a'"));
        assert!(Params::from_query(None).problem().is_none());
    }

    #[test]
    fn oversized_values_are_flagged() {
        let long = format!("state={}", "s".repeat(MAX_VALUE_LEN + 1));
        let p = Params::parse(long.as_bytes());
        assert!(p.problem().unwrap().contains("'state'"));
        assert!(
            Params::parse(format!("state={}", "s".repeat(MAX_VALUE_LEN)).as_bytes())
                .problem()
                .is_none()
        );
    }
}
