//! The entry point: a configured client that starts flows and runs them on a tokio runtime.

use tokio::runtime::Handle;

use crate::config::{ClientConfig, Credentials};
use crate::driver::{FlowHandle, StateStream, Transport};
use crate::error::Error;
use crate::flow::{Flow, Input, RedirectOutcome};
use crate::http::{HttpRequest, Method, RequestKind, classify, parse_json};
use crate::navigation::{Navigation, NavigationPolicy};
use crate::secret::Secret;
use crate::session::{AccessSession, EXPIRY_HEADER};
use crate::supervised::{
    LoginState, SupervisedLoginMachine, SupervisedLoginParams, SupervisedTokens,
};
use crate::timestamp::Timestamp;

/// A provider client: validated configuration, one HTTP connection pool, one runtime.
#[derive(Clone, Debug)]
pub struct Client {
    creds: Credentials,
    transport: Transport,
    runtime: Handle,
}

impl Client {
    /// Validates `config` and builds a client on the current tokio runtime. Fails with
    /// [`Error::InvalidInput`] naming the field at fault; nothing is sent.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let runtime = Handle::try_current().map_err(|_| {
            Error::invalid(
                "runtime",
                "Client::new must be called inside a tokio runtime (or use Client::with_runtime)",
            )
        })?;
        Self::with_runtime(config, runtime)
    }

    /// Like [`Client::new`], on the given runtime.
    pub fn with_runtime(config: ClientConfig, runtime: Handle) -> Result<Self, Error> {
        let creds = config.validate()?;
        Ok(Client {
            creds,
            transport: Transport::new()?,
            runtime,
        })
    }

    /// Prepares a supervised login. The parameters are validated here, before any request;
    /// call [`SupervisedLogin::start`] to begin.
    pub fn supervised_login(
        &self,
        params: SupervisedLoginParams,
    ) -> Result<SupervisedLogin, Error> {
        let machine = SupervisedLoginMachine::new(self.creds.clone(), params)?;
        Ok(SupervisedLogin {
            handle: FlowHandle::new(machine, self.transport.clone(), self.runtime.clone()),
            navigation: self.creds.navigation.clone(),
        })
    }

    /// `GET {api}/{path}` on the session API with partner headers and the session's bearer
    /// token; applies `X-Access-Token-Expires` from the answer to the session's sliding expiry.
    pub async fn session_get(
        &self,
        session: &AccessSession,
        path: &str,
    ) -> Result<serde_json::Value, Error> {
        let url = self
            .creds
            .api_url
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::invalid("path", e.to_string()))?;
        let mut headers = self.creds.partner_headers();
        headers.push((
            "authorization",
            Secret::new(format!("Bearer {}", session.token().expose())),
        ));
        let request = HttpRequest {
            kind: RequestKind::Api,
            method: Method::Get,
            url,
            headers,
            body: None,
            timeout: self.creds.request_timeout,
        };
        let response = classify(
            RequestKind::Api,
            self.transport.execute(request).await,
            Timestamp::now(),
        )
        .map_err(|f| f.error)?;
        if let Some(value) = response.header(&EXPIRY_HEADER.to_ascii_lowercase()) {
            session.apply_expiry_header(value)?;
        }
        parse_json(RequestKind::Api, &response)
    }
}

/// A supervised login in progress. Clones drive the same login.
#[derive(Clone)]
pub struct SupervisedLogin {
    handle: FlowHandle<SupervisedLoginMachine>,
    navigation: NavigationPolicy,
}

impl SupervisedLogin {
    /// Sends `initialize`, then polls and waits for the redirect. Calling it again does nothing.
    pub fn start(&self) {
        self.handle.input(Input::Start);
    }

    /// The current state.
    pub fn state(&self) -> LoginState {
        self.handle.state()
    }

    /// Every state from now on, in order (starting with the current one).
    pub fn subscribe(&self) -> StateStream<LoginState> {
        self.handle.subscribe()
    }

    /// The WebView navigation policy for `url`: allow, intercept (this login's redirect, which
    /// is then handled, with the outcome), open outside the app, or block. Call it from
    /// `WKNavigationDelegate` / `shouldOverrideUrlLoading`.
    pub fn decide_navigation(&self, url: &str) -> Navigation {
        self.handle.navigate(url, &self.navigation)
    }

    /// Hands over a URL the host met (WebView navigation, Universal Link, App Link, loopback
    /// request). Says whether it was this flow's redirect and what happened.
    pub fn handle_redirect(&self, url: &str) -> RedirectOutcome {
        self.handle.redirect(url)
    }

    /// Cancels the login: in-flight requests are abandoned and no exchange happens afterwards.
    pub fn cancel(&self) {
        self.handle.input(Input::Cancel);
    }

    /// Waits for the end of the login.
    pub async fn wait(&self) -> Result<SupervisedTokens, Error> {
        self.handle.wait().await
    }

    /// The redirect URL this login waits for.
    pub fn redirect_url(&self) -> url::Url {
        self.handle
            .with_flow(|f| f.redirect_pattern().url().clone())
    }
}
