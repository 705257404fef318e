// Starts oidc-provider (a certified OpenID Provider) on loopback for ObAuth's interop tests:
// one provider whose issuer is the server root, one whose issuer has a path (`/oidc`), both on
// ephemeral ports of 127.0.0.1. Prints one JSON line on stdout,
//   {"root":"http://127.0.0.1:PORT","path":"http://127.0.0.1:PORT2/oidc"}
// then serves until killed (the Rust harness kills it when the test ends).
//
// The clients are the ones a new ObAuth user would register:
//   - `interop-public`: public client (auth method `none`, PKCE required by the provider),
//     authorization code + refresh token, redirect URIs registered *without* a trailing slash
//     (`https://app.example.com`) and on loopback;
//   - `interop+post` / `interop+basic`: confidential clients for the client-credentials grant,
//     with `client_secret_post` / `client_secret_basic` and secrets full of reserved characters.
// Access tokens live 600 s (the CLI must print 600, not 599); refresh tokens rotate on use and
// a reused one revokes the grant (oidc-provider's reuse detection). Revocation (RFC 7009) and
// RP-initiated logout are on; RFC 9207 `iss` in authorization responses is always on.
// The login and consent pages are oidc-provider's development interactions: plain HTML forms
// any login/password pass, which the tests post to over HTTP.
import http from 'node:http';
import Provider from 'oidc-provider';

export const SECRET = 'p+q%2Fr s:t/u?v&w=x#y~z!$\'()*,;[]@';

function configuration() {
  return {
    clients: [
      {
        client_id: 'interop-public',
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['https://app.example.com', 'http://127.0.0.1/callback'],
        post_logout_redirect_uris: ['https://app.example.com/signed-out'],
      },
      {
        client_id: 'interop+post',
        client_secret: SECRET,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api.read',
      },
      {
        client_id: 'interop+basic',
        client_secret: SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'api.read',
      },
    ],
    scopes: ['openid', 'offline_access', 'profile', 'api.read'],
    cookies: { keys: ['obauth-interop-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    ttl: {
      AccessToken: 600,
      ClientCredentials: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      RefreshToken: 86400,
      Interaction: 600,
      Session: 3600,
      Grant: 86400,
    },
  };
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

async function main() {
  // The root issuer.
  const rootServer = http.createServer();
  const rootPort = await listen(rootServer);
  const root = new Provider(`http://127.0.0.1:${rootPort}`, configuration());
  rootServer.on('request', root.callback());

  // The path issuer: mounted under /oidc (oidc-provider reads the mount path from originalUrl).
  const pathServer = http.createServer();
  const pathPort = await listen(pathServer);
  const pathIssuer = new Provider(`http://127.0.0.1:${pathPort}/oidc`, configuration());
  const pathCallback = pathIssuer.callback();
  pathServer.on('request', (req, res) => {
    if (req.url === '/oidc' || req.url.startsWith('/oidc/') || req.url.startsWith('/oidc?')) {
      req.originalUrl = req.url;
      req.url = req.url.slice('/oidc'.length) || '/';
      pathCallback(req, res);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });

  process.stdout.write(`${JSON.stringify({
    root: `http://127.0.0.1:${rootPort}`,
    path: `http://127.0.0.1:${pathPort}/oidc`,
  })}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
