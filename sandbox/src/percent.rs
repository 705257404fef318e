//! RFC 3986 percent-encoding for the query values the sandbox writes into URLs.
//!
//! Only the unreserved set (`A-Z a-z 0-9 - . _ ~`) is left as is, so a base64 code comes out with
//! `+` as `%2B`, `/` as `%2F` and `=` as `%3D`, exactly what a real redirect carries and what a
//! client must decode (not form-decode: a literal `+` never means a space here).

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

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_base64_specials() {
        assert_eq!(super::encode("a+b/c=="), "a%2Bb%2Fc%3D%3D");
        assert_eq!(super::encode("User cancelled"), "User%20cancelled");
        assert_eq!(super::encode("-._~"), "-._~");
        assert_eq!(super::encode("æ"), "%C3%A6");
    }
}
