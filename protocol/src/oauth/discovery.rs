//! OpenID Connect discovery (`{issuer}/.well-known/openid-configuration`).

use url::Url;

use crate::error::Error;
use crate::http::{HttpRequest, HttpResponse, Method, RequestKind, parse_json};
use crate::secret::Secret;
use crate::validate;

/// The parts of a discovery document the flows use.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ProviderMetadata {
    /// The issuer identifier.
    pub issuer: String,
    /// Where to send the user (authorization-code flows).
    #[serde(default)]
    pub authorization_endpoint: Option<String>,
    /// Where to get tokens.
    pub token_endpoint: String,
    /// Supported PKCE methods, if advertised.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// Supported client authentication methods, if advertised.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// The token revocation endpoint (RFC 7009, advertised per RFC 8414), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub revocation_endpoint: Option<String>,
    /// The RP-initiated logout endpoint (OpenID Connect RP-Initiated Logout 1.0), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub end_session_endpoint: Option<String>,
    /// Whether authorization responses carry `iss` (RFC 9207): then a redirect without it, or
    /// with another issuer, is refused (mix-up defence).
    #[serde(default)]
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub authorization_response_iss_parameter_supported: bool,
}

/// The discovery URL of an issuer.
pub fn discovery_url(issuer: &Url) -> Url {
    let mut base = issuer.clone();
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join(".well-known/openid-configuration")
        .unwrap_or_else(|_| issuer.clone())
}

/// The discovery request.
pub fn request(issuer: &Url, timeout: std::time::Duration) -> HttpRequest {
    HttpRequest {
        kind: RequestKind::Discovery,
        method: Method::Get,
        url: discovery_url(issuer),
        headers: vec![("accept", Secret::new("application/json"))],
        body: None,
        timeout,
    }
}

/// Parses and checks a discovery document: the issuer must be the one asked for (OpenID
/// Connect Discovery §4.3) and every endpoint must be HTTPS (or loopback).
pub fn parse(issuer: &Url, response: &HttpResponse) -> Result<ProviderMetadata, Error> {
    let metadata: ProviderMetadata = parse_json(RequestKind::Discovery, response)?;
    let malformed = |detail: String| Error::MalformedResponse {
        endpoint: RequestKind::Discovery.endpoint(),
        detail,
    };
    let trim = |s: &str| s.trim_end_matches('/').to_owned();
    if trim(&metadata.issuer) != trim(issuer.as_str()) {
        return Err(malformed(format!(
            "issuer {:?} does not match the requested issuer",
            metadata.issuer
        )));
    }
    validate::service_url("token_endpoint", &metadata.token_endpoint, false)
        .map_err(|e| malformed(e.to_string()))?;
    for (name, endpoint) in [
        ("authorization_endpoint", &metadata.authorization_endpoint),
        ("revocation_endpoint", &metadata.revocation_endpoint),
        ("end_session_endpoint", &metadata.end_session_endpoint),
    ] {
        if let Some(url) = endpoint {
            validate::service_url(name, url, false).map_err(|e| malformed(e.to_string()))?;
        }
    }
    Ok(metadata)
}

/// The RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0 §2): the host opens it
/// in the browser to end the user's session at the provider. `id_token_hint` tells the provider
/// whose session it is; `post_logout_redirect_uri` (registered with the provider) is where it
/// sends the user back, with `state` echoed.
pub fn end_session_url(
    end_session_endpoint: &str,
    client_id: &str,
    id_token_hint: Option<&Secret>,
    post_logout_redirect_uri: Option<&str>,
    state: Option<&str>,
) -> Result<Url, Error> {
    let mut url = validate::service_url("end_session_endpoint", end_session_endpoint, false)?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", client_id);
        if let Some(hint) = id_token_hint {
            q.append_pair("id_token_hint", hint.expose());
        }
        if let Some(uri) = post_logout_redirect_uri {
            q.append_pair("post_logout_redirect_uri", uri);
        }
        if let Some(state) = state {
            q.append_pair("state", state);
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_url_keeps_the_issuer_path() {
        let issuer = Url::parse("https://auth.apiture.com/oidc/").unwrap();
        assert_eq!(
            discovery_url(&issuer).as_str(),
            "https://auth.apiture.com/oidc/.well-known/openid-configuration"
        );
        let issuer = Url::parse("https://cat-oidc.example.com/oidc").unwrap();
        assert_eq!(
            discovery_url(&issuer).as_str(),
            "https://cat-oidc.example.com/oidc/.well-known/openid-configuration"
        );
    }

    #[test]
    fn end_session_url_carries_hint_redirect_and_state() {
        let url = end_session_url(
            "https://id.example.com/session/end?x=1",
            "cid",
            Some(&Secret::new("a.b.c")),
            Some("https://app.example.com/out"),
            Some("s1"),
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "https://id.example.com/session/end?x=1&client_id=cid&id_token_hint=a.b.c&post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2Fout&state=s1"
        );
        assert!(end_session_url("http://id.example.com/end", "cid", None, None, None).is_err());
    }

    #[test]
    fn optional_endpoints_must_be_secure_too() {
        let issuer = Url::parse("https://id.example.com").unwrap();
        let doc = |extra: &str| {
            HttpResponse {
            status: 200,
            headers: vec![],
            body: format!(
                r#"{{"issuer":"https://id.example.com","token_endpoint":"https://id.example.com/t"{extra}}}"#
            )
            .into_bytes(),
        }
        };
        let m = parse(&issuer, &doc(r#","revocation_endpoint":"https://id.example.com/r","authorization_response_iss_parameter_supported":true"#)).unwrap();
        assert_eq!(
            m.revocation_endpoint.as_deref(),
            Some("https://id.example.com/r")
        );
        assert!(m.authorization_response_iss_parameter_supported);
        assert!(
            parse(
                &issuer,
                &doc(r#","revocation_endpoint":"http://evil.example.com/r""#)
            )
            .is_err()
        );
        assert!(parse(&issuer, &doc(r#","end_session_endpoint":"ftp://x""#)).is_err());
    }

    #[test]
    fn issuer_must_match_and_endpoints_must_be_secure() {
        let issuer = Url::parse("https://id.example.com/oidc").unwrap();
        let doc = |iss: &str, token: &str| HttpResponse {
            status: 200,
            headers: vec![],
            body: format!(r#"{{"issuer":"{iss}","token_endpoint":"{token}"}}"#).into_bytes(),
        };
        assert!(
            parse(
                &issuer,
                &doc(
                    "https://id.example.com/oidc",
                    "https://id.example.com/oidc/token"
                )
            )
            .is_ok()
        );
        assert!(
            parse(
                &issuer,
                &doc("https://evil.example.com/oidc", "https://id.example.com/t")
            )
            .is_err()
        );
        assert!(
            parse(
                &issuer,
                &doc("https://id.example.com/oidc", "http://id.example.com/t")
            )
            .is_err()
        );
    }
}
