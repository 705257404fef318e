//! Token sets and the token endpoint's wire format.
//!
//! Two dialects reach the same endpoint semantics:
//! - Aiia Data (`POST {api}/v1/oauth/token`): JSON body, client authenticated with
//!   `Authorization: Basic base64(id:secret)`, id and secret **as they are** (RFC 7617, as the
//!   seed's code samples build it: Aiia documents this encoding and nothing else);
//! - standard OAuth 2.0 / OpenID Connect: `application/x-www-form-urlencoded` body, client
//!   authenticated by `client_secret_post` (form fields, Aritma), `client_secret_basic` (Basic
//!   header, Apiture) or not at all (public client proving possession with PKCE). For
//!   `client_secret_basic`, RFC 6749 §2.3.1 requires the id and the secret to be
//!   form-urlencoded *before* they are joined with `:` and base64-encoded: a secret holding
//!   `+`, `%` or `:` is otherwise read differently by a strict provider (and refused).
//!   [`BasicEncoding`] names the two encodings so the difference is in one place.
//!
//! Every grant (authorization code, refresh token, client credentials) and the revocation
//! request (RFC 7009, which authenticates the client exactly like the token endpoint) is built
//! here, and every token response and OAuth error is read here, so the flows only say *what*
//! they want.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use url::Url;

use crate::error::Error;
use crate::http::{Failure, HttpRequest, HttpResponse, Method, RequestKind, parse_json};
use crate::secret::Secret;
use crate::timestamp::Timestamp;

/// Tokens from a token endpoint. Serializes (for secure storage only) as the snapshot record of
/// a token set (the same JSON object: one reader and one writer for both).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(
    into = "crate::snapshot::records::TokenSetV1",
    from = "crate::snapshot::records::TokenSetV1"
)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TokenSet {
    /// The access token.
    pub access_token: Secret,
    /// Usually `Bearer`; goes in front of the token in `Authorization`.
    #[cfg_attr(feature = "uniffi", uniffi(default = "Bearer"))]
    pub token_type: String,
    /// When the access token expires, if the provider said.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub expires_at: Option<Timestamp>,
    /// The refresh token, if any (client credentials have none).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub refresh_token: Option<Secret>,
    /// Granted scopes (space-delimited), if the provider said.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub scope: Option<String>,
    /// The OpenID Connect ID token, if any.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub id_token: Option<Secret>,
    /// Aiia Data's consent id (from the redirect), if any.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub consent_id: Option<String>,
    /// When the token endpoint answered (this client's clock), if known: `expires_at -
    /// issued_at` is the lifetime the provider said (`expires_in`), which bounds the renewal
    /// margin ([`TokenSet::renewal_due`]). Absent for tokens stored by older versions.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub issued_at: Option<Timestamp>,
}

impl TokenSet {
    /// Seconds until expiry at `now` (0 if expired; `None` if unknown).
    pub fn expires_in(&self, now: Timestamp) -> Option<u64> {
        self.expires_at.map(|at| now.until(at).as_secs())
    }

    /// The lifetime the provider gave the access token (its `expires_in`), if known: the
    /// number to show for "expires in" right after a token call (600, not the 599 s left a
    /// moment later).
    pub fn lifetime(&self) -> Option<Duration> {
        Some(self.issued_at?.until(self.expires_at?))
    }

    /// The `expires_in` to report for tokens just received: the provider's own number when
    /// known ([`TokenSet::lifetime`]), else the seconds left at `now`.
    pub fn expires_in_as_issued(&self, now: Timestamp) -> Option<u64> {
        self.lifetime()
            .map(|d| d.as_secs())
            .or_else(|| self.expires_in(now))
    }

    /// Whether the access token should be renewed at `now`, `margin` before it expires. The
    /// margin is bounded by half the token's lifetime: a token living 30 s with a 60 s margin
    /// would otherwise be renewed on every call (and so would each of its successors).
    pub fn renewal_due(&self, now: Timestamp, margin: Duration) -> bool {
        let Some(at) = self.expires_at else {
            return false;
        };
        let margin = match self.lifetime() {
            Some(lifetime) => margin.min(lifetime / 2),
            None => margin,
        };
        now.plus(margin) >= at
    }

    /// The `Authorization` header value (`Bearer <token>`).
    pub fn authorization(&self) -> Secret {
        let scheme = if self.token_type.eq_ignore_ascii_case("bearer") {
            "Bearer"
        } else {
            self.token_type.as_str()
        };
        Secret::new(format!("{scheme} {}", self.access_token.expose()))
    }
}

/// How a client authenticates to a form-style token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ClientAuth {
    /// `client_secret_post`: `client_id` and `client_secret` as form fields (Aritma).
    Post,
    /// `client_secret_basic`: HTTP Basic header (Apiture).
    Basic,
    /// No secret: a public client (PKCE); `client_id` as a form field.
    None,
}

/// The dialect of a token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TokenWire {
    /// Aiia Data: JSON body, Basic client authentication.
    AiiaJson,
    /// Standard form-encoded body with the given client authentication.
    Form(ClientAuth),
}

/// How the client id and secret are written before `base64(id:secret)` in a Basic header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BasicEncoding {
    /// As they are: Aiia Data's documented JSON dialect (RFC 7617 alone).
    Raw,
    /// Each form-urlencoded first (`application/x-www-form-urlencoded`, RFC 6749 §2.3.1): the
    /// standard `client_secret_basic`.
    FormUrlencoded,
}

impl BasicEncoding {
    /// `Basic base64(id:secret)` with the id and secret encoded as this variant says.
    pub fn header_value(self, client_id: &str, secret: &str) -> Secret {
        let raw = match self {
            BasicEncoding::Raw => format!("{client_id}:{secret}"),
            BasicEncoding::FormUrlencoded => {
                let encode = |v: &str| {
                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                };
                format!("{}:{}", encode(client_id), encode(secret))
            }
        };
        Secret::new(format!("Basic {}", STANDARD.encode(raw)))
    }
}

impl TokenWire {
    /// How this dialect writes Basic client credentials, if it sends any.
    pub fn basic_encoding(self) -> Option<BasicEncoding> {
        match self {
            TokenWire::AiiaJson => Some(BasicEncoding::Raw),
            TokenWire::Form(ClientAuth::Basic) => Some(BasicEncoding::FormUrlencoded),
            TokenWire::Form(ClientAuth::Post | ClientAuth::None) => None,
        }
    }
}

/// Which token a revocation request names (RFC 7009 §2.1 `token_type_hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TokenTypeHint {
    /// `refresh_token`
    RefreshToken,
    /// `access_token`
    AccessToken,
}

impl TokenTypeHint {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenTypeHint::RefreshToken => "refresh_token",
            TokenTypeHint::AccessToken => "access_token",
        }
    }
}

/// A token endpoint and how to talk to it.
#[derive(Clone, Debug)]
pub struct TokenEndpoint {
    /// The endpoint URL.
    pub url: Url,
    /// Its dialect.
    pub wire: TokenWire,
    /// The client id.
    pub client_id: String,
    /// The client secret (absent for public clients).
    pub client_secret: Option<Secret>,
    /// Request time-out.
    pub timeout: Duration,
}

impl TokenEndpoint {
    /// The authorization-code grant.
    pub fn authorization_code(
        &self,
        code: &Secret,
        redirect_uri: &str,
        verifier: Option<&Secret>,
    ) -> HttpRequest {
        let mut fields = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.expose().to_owned()),
            ("redirect_uri", redirect_uri.to_owned()),
        ];
        if let Some(v) = verifier {
            fields.push(("code_verifier", v.expose().to_owned()));
        }
        self.build(RequestKind::Exchange, &self.url, fields)
    }

    /// The refresh-token grant.
    pub fn refresh(&self, refresh_token: &Secret) -> HttpRequest {
        self.build(
            RequestKind::Refresh,
            &self.url,
            vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", refresh_token.expose().to_owned()),
            ],
        )
    }

    /// The client-credentials grant.
    pub fn client_credentials(&self, scope: Option<&str>) -> HttpRequest {
        let mut fields = vec![("grant_type", "client_credentials".to_owned())];
        if let Some(scope) = scope {
            fields.push(("scope", scope.to_owned()));
        }
        self.build(RequestKind::ClientCredentials, &self.url, fields)
    }

    /// A revocation request (RFC 7009) to `revocation_endpoint`, authenticated as this client
    /// authenticates to the token endpoint (§2.1).
    pub fn revoke(
        &self,
        revocation_endpoint: &Url,
        token: &Secret,
        hint: TokenTypeHint,
    ) -> HttpRequest {
        self.build(
            RequestKind::Revocation,
            revocation_endpoint,
            vec![
                ("token", token.expose().to_owned()),
                ("token_type_hint", hint.as_str().to_owned()),
            ],
        )
    }

    fn basic(&self) -> Option<(&'static str, Secret)> {
        let secret = self.client_secret.as_ref()?;
        let encoding = self.wire.basic_encoding()?;
        Some((
            "authorization",
            encoding.header_value(&self.client_id, secret.expose()),
        ))
    }

    fn build(
        &self,
        kind: RequestKind,
        url: &Url,
        mut fields: Vec<(&'static str, String)>,
    ) -> HttpRequest {
        let mut headers = vec![("accept", Secret::new("application/json"))];
        let body = match self.wire {
            TokenWire::AiiaJson => {
                headers.extend(self.basic());
                // Inserted one by one (a later duplicate wins, as with `collect`): `collect`
                // would compile a stable sort of its own for the map's bulk build.
                let mut object = serde_json::Map::new();
                for (k, v) in fields {
                    object.insert(k.to_owned(), serde_json::Value::String(v));
                }
                (
                    "application/json",
                    Secret::new(serde_json::Value::Object(object).to_string()),
                )
            }
            TokenWire::Form(auth) => {
                match auth {
                    ClientAuth::Basic => headers.extend(self.basic()),
                    ClientAuth::Post => {
                        fields.push(("client_id", self.client_id.clone()));
                        if let Some(secret) = &self.client_secret {
                            fields.push(("client_secret", secret.expose().to_owned()));
                        }
                    }
                    ClientAuth::None => fields.push(("client_id", self.client_id.clone())),
                }
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for (k, v) in &fields {
                    form.append_pair(k, v);
                }
                (
                    "application/x-www-form-urlencoded",
                    Secret::new(form.finish()),
                )
            }
        };
        HttpRequest {
            kind,
            method: Method::Post,
            url: url.clone(),
            headers,
            body: Some(body),
            timeout: self.timeout,
        }
    }
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: Secret,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<Secret>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    id_token: Option<Secret>,
}

/// Reads a successful token response received at `now`.
pub fn parse_token_response(
    kind: RequestKind,
    response: &HttpResponse,
    now: Timestamp,
) -> Result<TokenSet, Error> {
    let body: TokenBody = parse_json(kind, response)?;
    let malformed = |detail: &str| Error::MalformedResponse {
        endpoint: kind.endpoint(),
        detail: detail.to_owned(),
    };
    if body.access_token.is_empty() {
        return Err(malformed("access_token is empty"));
    }
    let expires_in = match body.expires_in {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => Some(
            n.as_u64()
                .ok_or_else(|| malformed("expires_in is not a whole number"))?,
        ),
        Some(serde_json::Value::String(s)) => Some(
            s.trim()
                .parse()
                .map_err(|_| malformed("expires_in is not a number"))?,
        ),
        Some(_) => return Err(malformed("expires_in is not a number")),
    };
    Ok(TokenSet {
        access_token: body.access_token,
        token_type: body.token_type.unwrap_or_else(|| "Bearer".to_owned()),
        expires_at: expires_in.map(|s| now.plus(Duration::from_secs(s))),
        refresh_token: body.refresh_token.filter(|t| !t.is_empty()),
        scope: body.scope,
        id_token: body.id_token,
        consent_id: None,
        issued_at: Some(now),
    })
}

/// Maps OAuth error answers (RFC 6749 §5.2) to errors: `invalid_grant` means the grant is gone
/// (sign in again), `invalid_client` means bad client credentials.
pub fn oauth_failure(failure: Failure) -> Failure {
    match &failure.error {
        Error::UnexpectedStatus {
            status,
            code: Some(code),
            ..
        } if (400..500).contains(status) => {
            let error = match code.as_str() {
                "invalid_grant" => Error::InvalidGrant,
                "invalid_client" | "unauthorized_client" => Error::BadClientCredentials,
                _ => return failure,
            };
            Failure {
                error,
                retry_after: None,
            }
        }
        _ => failure,
    }
}

impl TokenSet {
    /// JSON for secure storage (secrets included). A token set that cannot be written is an
    /// error (`InvalidSnapshot`), never an empty string.
    pub fn to_json(&self) -> Result<String, Error> {
        crate::snapshot::write_json("the token set", self)
    }

    /// Reads [`TokenSet::to_json`] output.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        crate::snapshot::read_json(text)
            .map_err(|_| Error::InvalidSnapshot("not a stored token set".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(wire: TokenWire, secret: Option<&str>) -> TokenEndpoint {
        TokenEndpoint {
            url: Url::parse("https://id.example.com/connect/token").unwrap(),
            wire,
            client_id: "cid".into(),
            client_secret: secret.map(Secret::new),
            timeout: Duration::from_secs(5),
        }
    }

    fn body(r: &HttpRequest) -> String {
        r.body.as_ref().unwrap().1.expose().to_owned()
    }

    fn header(r: &HttpRequest, name: &str) -> Option<String> {
        r.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.expose().to_owned())
    }

    #[test]
    fn aiia_json_with_basic_auth() {
        let e = endpoint(TokenWire::AiiaJson, Some("sec"));
        let r = e.authorization_code(&Secret::new("a+b/c="), "https://app/cb", None);
        assert_eq!(r.body.as_ref().unwrap().0, "application/json");
        let json: serde_json::Value = serde_json::from_str(&body(&r)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"grant_type":"authorization_code","code":"a+b/c=","redirect_uri":"https://app/cb"})
        );
        assert_eq!(
            header(&r, "authorization").unwrap(),
            format!("Basic {}", STANDARD.encode("cid:sec"))
        );
    }

    #[test]
    fn form_post_basic_and_public() {
        let r = endpoint(TokenWire::Form(ClientAuth::Post), Some("s&c"))
            .client_credentials(Some("a b"));
        assert_eq!(
            body(&r),
            "grant_type=client_credentials&scope=a+b&client_id=cid&client_secret=s%26c"
        );
        assert!(header(&r, "authorization").is_none());
        let r = endpoint(TokenWire::Form(ClientAuth::Basic), Some("sec")).client_credentials(None);
        assert_eq!(body(&r), "grant_type=client_credentials");
        assert!(header(&r, "authorization").unwrap().starts_with("Basic "));
        let r = endpoint(TokenWire::Form(ClientAuth::None), None).authorization_code(
            &Secret::new("c+d"),
            "https://app/cb",
            Some(&Secret::new("ver")),
        );
        assert_eq!(
            body(&r),
            "grant_type=authorization_code&code=c%2Bd&redirect_uri=https%3A%2F%2Fapp%2Fcb&code_verifier=ver&client_id=cid"
        );
    }

    #[test]
    fn client_secret_basic_form_urlencodes_while_aiia_keeps_its_encoding() {
        let secret = "a+b%c:d é";
        let form =
            endpoint(TokenWire::Form(ClientAuth::Basic), Some(secret)).client_credentials(None);
        assert_eq!(
            header(&form, "authorization").unwrap(),
            format!("Basic {}", STANDARD.encode("cid:a%2Bb%25c%3Ad+%C3%A9"))
        );
        let aiia = endpoint(TokenWire::AiiaJson, Some(secret)).refresh(&Secret::new("rt"));
        assert_eq!(
            header(&aiia, "authorization").unwrap(),
            format!("Basic {}", STANDARD.encode(format!("cid:{secret}")))
        );
        let revoke = endpoint(TokenWire::Form(ClientAuth::Basic), Some(secret)).revoke(
            &Url::parse("https://id.example.com/revoke").unwrap(),
            &Secret::new("rt+1"),
            TokenTypeHint::RefreshToken,
        );
        assert_eq!(revoke.kind, RequestKind::Revocation);
        assert_eq!(revoke.url.as_str(), "https://id.example.com/revoke");
        assert_eq!(body(&revoke), "token=rt%2B1&token_type_hint=refresh_token");
        assert_eq!(
            header(&revoke, "authorization"),
            header(&form, "authorization")
        );
    }

    #[test]
    fn the_renewal_margin_is_bounded_by_the_lifetime() {
        let now = Timestamp::from_unix_millis(1_000_000);
        let resp = HttpResponse {
            status: 200,
            headers: vec![],
            body: br#"{"access_token":"A","expires_in":30}"#.to_vec(),
        };
        let t = parse_token_response(RequestKind::ClientCredentials, &resp, now).unwrap();
        assert_eq!(t.lifetime(), Some(Duration::from_secs(30)));
        let margin = Duration::from_secs(60);
        assert!(!t.renewal_due(now, margin), "a fresh 30 s token is not due");
        assert!(!t.renewal_due(now.plus(Duration::from_secs(14)), margin));
        assert!(t.renewal_due(now.plus(Duration::from_secs(15)), margin));
        // Without a known lifetime, the whole margin applies.
        let unknown = TokenSet {
            issued_at: None,
            ..t.clone()
        };
        assert!(unknown.renewal_due(now, margin));
        // A long-lived token keeps the full margin.
        let long = TokenSet {
            expires_at: Some(now.plus(Duration::from_secs(3600))),
            ..t
        };
        assert!(long.renewal_due(now.plus(Duration::from_secs(3540)), margin));
        assert!(!long.renewal_due(now.plus(Duration::from_secs(3539)), margin));
    }

    #[test]
    fn parses_token_responses() {
        let now = Timestamp::from_unix_millis(1_000_000);
        let resp = |b: &str| HttpResponse {
            status: 200,
            headers: vec![],
            body: b.as_bytes().to_vec(),
        };
        let t = parse_token_response(
            RequestKind::Exchange,
            &resp(r#"{"access_token":"A","expires_in":3600,"refresh_token":"R","token_type":"bearer"}"#),
            now,
        )
        .unwrap();
        assert_eq!(t.expires_in(now), Some(3600));
        assert_eq!(t.authorization().expose(), "Bearer A");
        assert_eq!(t.refresh_token.unwrap().expose(), "R");
        let t = parse_token_response(
            RequestKind::Refresh,
            &resp(r#"{"access_token":"A","expires_in":"60"}"#),
            now,
        )
        .unwrap();
        assert_eq!(t.expires_in(now), Some(60));
        assert!(
            parse_token_response(RequestKind::Refresh, &resp(r#"{"access_token":""}"#), now)
                .is_err()
        );
        assert!(
            parse_token_response(RequestKind::Refresh, &resp(r#"{"token_type":"x"}"#), now)
                .is_err()
        );
    }

    #[test]
    fn oauth_errors() {
        let f = |code: &str| {
            oauth_failure(Failure::from(Error::UnexpectedStatus {
                endpoint: "t",
                status: 400,
                code: Some(code.into()),
            }))
            .error
        };
        assert_eq!(f("invalid_grant"), Error::InvalidGrant);
        assert_eq!(f("invalid_client"), Error::BadClientCredentials);
        assert!(matches!(f("invalid_scope"), Error::UnexpectedStatus { .. }));
    }
}
