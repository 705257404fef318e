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
    if let Some(auth) = &metadata.authorization_endpoint {
        validate::service_url("authorization_endpoint", auth, false)
            .map_err(|e| malformed(e.to_string()))?;
    }
    Ok(metadata)
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
