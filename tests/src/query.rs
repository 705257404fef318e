//! Query values of redirect URLs, read the strict way.
//!
//! The point of several tests is that a code with `+`, `/` and `=` arrives intact, so the test
//! side must not use a form decoder (which turns `+` into a space) to look at it: these helpers
//! return the raw value and decode `%XX` exactly once, leaving `+` alone.

/// The raw (still encoded) value of `name` in the query of `url`.
pub fn raw_value(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    let prefix = format!("{name}=");
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(prefix.as_str()))
        .map(str::to_owned)
}

/// Decodes `%XX` escapes once; `+` stays `+`. Panics on a malformed escape (a test bug).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII escape");
            out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 after decoding")
}

/// The decoded value of `name` in the query of `url`.
pub fn value(url: &str, name: &str) -> Option<String> {
    raw_value(url, name).map(|v| percent_decode(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_survives_and_escapes_decode_once() {
        let url = "https://a.example/cb?x=1&code=ab%2Bc%2F%3D+d%252B#frag";
        assert_eq!(
            raw_value(url, "code").as_deref(),
            Some("ab%2Bc%2F%3D+d%252B")
        );
        assert_eq!(value(url, "code").as_deref(), Some("ab+c/=+d%2B"));
        assert_eq!(value(url, "missing"), None);
    }
}
