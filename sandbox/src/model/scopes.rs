//! OAuth scope lists (RFC 6749 §3.3): parsing a space-delimited `scope` against the scopes a
//! flow allows.
//!
//! The authorize endpoints, the client-credentials grant and refresh narrowing all read `scope`
//! the same way, so the rule (default when absent, duplicates dropped in order, every scope
//! known, not empty) lives here once.

/// Splits a space-delimited `scope` (default `default` when absent) and checks every scope is in
/// `allowed`. Duplicates are dropped, order kept. `Err` names the unknown scopes.
pub(crate) fn parse_scopes(
    scope: Option<&str>,
    default: &str,
    allowed: &[String],
) -> Result<Vec<String>, String> {
    let mut scopes: Vec<String> = Vec::new();
    for s in scope.unwrap_or(default).split_whitespace() {
        if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_owned());
        }
    }
    let unknown: Vec<&str> = scopes
        .iter()
        .filter(|s| !allowed.contains(s))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(format!("Unknown scope: {}", unknown.join(" ")));
    }
    if scopes.is_empty() {
        return Err("The scope parameter is empty.".to_owned());
    }
    Ok(scopes)
}

/// Whether `scopes` holds `scope`.
pub(crate) fn has(scopes: &[String], scope: &str) -> bool {
    scopes.iter().any(|s| s == scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_default_dedupe_and_validate() {
        let allowed = vec!["accounts".to_owned(), "offline_access".to_owned()];
        assert_eq!(
            parse_scopes(None, "accounts offline_access", &allowed).unwrap(),
            allowed
        );
        assert_eq!(
            parse_scopes(Some("accounts  accounts"), "x", &allowed).unwrap(),
            vec!["accounts".to_owned()]
        );
        let err = parse_scopes(Some("accounts payments admin"), "x", &allowed).unwrap_err();
        assert!(err.contains("payments admin"), "{err}");
        assert!(parse_scopes(Some("   "), "accounts", &allowed).is_err());
        assert!(has(&allowed, "accounts") && !has(&allowed, "openid"));
    }
}
