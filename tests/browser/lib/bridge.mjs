// A client for the host bridge (tests/src/bin/host_bridge): the Rust process that plays the
// native host app. It owns the flows through the obauth core and answers, for every navigation
// the WebView attempts, the core's decision. See the bridge's module docs for the API.

const BASE = process.env.OBAUTH_BRIDGE_URL;

/** The bridge's base URL (`http://127.0.0.1:PORT`), set by run.sh. */
export function bridgeUrl() {
  if (!BASE) {
    throw new Error(
      'OBAUTH_BRIDGE_URL is not set: run the suite with tests/browser/run.sh, which builds and starts the host bridge',
    );
  }
  return BASE;
}

async function call(method, path, body) {
  const response = await fetch(`${bridgeUrl()}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) {
    throw new Error(`bridge ${method} ${path} answered ${response.status}: ${json.error ?? JSON.stringify(json)}`);
  }
  return json;
}

/**
 * Starts a flow (and its own sandbox) and waits until it asks for the user.
 * @param {{kind: 'supervised'|'connect'|'pkce', loseRedirect?: boolean, statusDelayMs?: number,
 *          userHash?: string, accountsGroupName?: string, scope?: string}} options
 * @returns {Promise<{id: string, authUrl: string, redirectUrl: string, sandboxUrl: string}>}
 */
export const createFlow = (options) => call('POST', '/flows', options);

/** The core's decision for a URL the WebView is about to load (FlowHandle::decide_navigation). */
export const navigate = (id, url) => call('POST', `/flows/${id}/navigate`, { url });

/** The flow's report: state, states seen, decisions, result, the provider's counters. */
export const report = (id) => call('GET', `/flows/${id}`);

/** The report once the flow has finished (or after `timeoutMs`). */
export const waitFinished = (id, timeoutMs = 15000) =>
  call('GET', `/flows/${id}/wait?timeoutMs=${timeoutMs}`);

/** Forgets the flow and stops its sandbox. */
export const removeFlow = (id) => call('DELETE', `/flows/${id}`);
