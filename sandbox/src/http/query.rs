//! Query strings: the ones the sandbox writes into URLs (RFC 3986 percent-encoding,
//! `name=value&...` building, appending to a URL that may already have a query or a fragment)
//! and reading one value back from a query or form.
//!
//! Only the unreserved set (`A-Z a-z 0-9 - . _ ~`) is left as is, so a base64 code comes out with
//! `+` as `%2B`, `/` as `%2F` and `=` as `%3D`, exactly what a real redirect carries and what a
//! client must decode (not form-decode: a literal `+` never means a space here). Every redirect
//! and link the sandbox hands out (supervised login, the OAuth flows) is built from these.

use url::Url;

/// Percent-encodes `value` for use as one query component.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `name=value&...` with every value percent-encoded; `None` values are left out.
pub fn query(pairs: &[(&str, Option<&str>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", encode(v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// Appends already-encoded `params` to the query of `url`, keeping any existing query and fragment.
pub fn with_query(url: &Url, params: &str) -> String {
    let mut url = url.clone();
    let query = match url.query() {
        Some(existing) if !existing.is_empty() => format!("{existing}&{params}"),
        _ => params.to_owned(),
    };
    url.set_query(Some(&query));
    url.into()
}

/// The first value of `name` in a form-urlencoded string (a query or a form body), decoded; an
/// empty value is `Some("")`.
pub fn form_value(encoded: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_base64_specials() {
        assert_eq!(encode("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(encode("User cancelled"), "User%20cancelled");
        assert_eq!(encode("-._~"), "-._~");
        assert_eq!(encode("æ"), "%C3%A6");
    }

    #[test]
    fn query_encodes_values_and_skips_absent_ones() {
        assert_eq!(
            query(&[
                ("code", Some("a+b/c=")),
                ("state", None),
                ("x", Some("é &"))
            ]),
            "code=a%2Bb%2Fc%3D&x=%C3%A9%20%26"
        );
    }

    #[test]
    fn query_is_appended_before_the_fragment() {
        let u = |s| Url::parse(s).unwrap();
        assert_eq!(
            with_query(&u("https://app.example/cb"), "code=a%2B"),
            "https://app.example/cb?code=a%2B"
        );
        assert_eq!(
            with_query(&u("https://app.example/cb?x=1#frag"), "code=a%2B"),
            "https://app.example/cb?x=1&code=a%2B#frag"
        );
        assert_eq!(
            with_query(&u("https://app.example/cb?"), "code=a"),
            "https://app.example/cb?code=a"
        );
    }
}
