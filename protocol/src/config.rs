//! Client configuration shared by every flow.

use std::time::Duration;

use url::Url;

use crate::backoff::RetryPolicy;
use crate::error::Error;
use crate::navigation::NavigationPolicy;
use crate::secret::Secret;
use crate::validate;

/// How to reach the provider and who the app is.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The provider's API root, e.g. `https://api.nordicapigateway.com`. HTTPS unless loopback.
    pub api_url: String,
    /// The partner's client id.
    pub client_id: String,
    /// The partner's client secret.
    pub client_secret: Secret,
    /// Time-out of a single ordinary request (long-polls get their poll window plus this).
    pub request_timeout: Duration,
    /// How transient failures are retried.
    pub retry: RetryPolicy,
    /// Hosts whose links the WebView should hand to the OS (banks' app-link domains); see
    /// [`crate::navigation`].
    pub external_app_hosts: Vec<String>,
}

impl ClientConfig {
    /// A configuration with default time-outs and retry policy.
    pub fn new(
        api_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        ClientConfig {
            api_url: api_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            external_app_hosts: Vec::new(),
        }
    }

    /// Checks every field and returns the parsed form the flows use.
    pub fn validate(&self) -> Result<Credentials, Error> {
        let api_url = validate::service_url("apiUrl", &self.api_url, true)?;
        if self.client_id.trim().is_empty() {
            return Err(Error::invalid("clientId", "must not be empty"));
        }
        if self.client_secret.is_empty() {
            return Err(Error::invalid("clientSecret", "must not be empty"));
        }
        if self.request_timeout.is_zero() {
            return Err(Error::invalid("requestTimeout", "must be positive"));
        }
        Ok(Credentials {
            api_url,
            client_id: self.client_id.trim().to_owned(),
            client_secret: self.client_secret.clone(),
            request_timeout: self.request_timeout,
            retry: self.retry,
            navigation: NavigationPolicy::with_external_hosts(&self.external_app_hosts),
        })
    }
}

/// Validated client configuration, as the flows use it.
#[derive(Clone, Debug)]
pub struct Credentials {
    /// API root; its path ends with `/`.
    pub api_url: Url,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: Secret,
    /// Single-request time-out.
    pub request_timeout: Duration,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// WebView navigation rules.
    pub navigation: NavigationPolicy,
}

impl Credentials {
    /// `X-Client-Id` / `X-Client-Secret`, the partner authentication every Aiia Enterprise call
    /// carries.
    pub fn partner_headers(&self) -> Vec<(&'static str, Secret)> {
        vec![
            ("x-client-id", Secret::new(self.client_id.clone())),
            ("x-client-secret", self.client_secret.clone()),
            ("accept", Secret::new("application/json")),
        ]
    }

    /// An endpoint under the API root (`path` has no leading slash).
    pub fn endpoint(&self, path: &str) -> Url {
        // The root is validated and ends in '/', and callers pass fixed relative paths.
        self.api_url
            .join(path)
            .unwrap_or_else(|_| self.api_url.clone())
    }
}
