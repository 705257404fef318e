// Authorization code + PKCE for a public client (no secret on the device) in a real browser:
// discovery, the sandbox's OpenID Connect sign-in page, the redirect to the app link, and the
// token request with the verifier.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as bridge from '../lib/bridge.mjs';
import { APP_LINK_HOST, assertNeverFetched, stateNames, withWebView } from '../lib/scenario.mjs';

test('PKCE login on the OpenID Connect sign-in page', async (t) => {
  const run = await withWebView(t, { kind: 'pkce', scope: 'openid profile' }, async ({ flow, view }) => {
    const { page } = view;
    const authorize = new URL(flow.authUrl);
    const q = authorize.searchParams;
    assert.equal(authorize.pathname, '/oidc/authorize');
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), 'sandbox-public-client');
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
    assert.ok(q.get('state') && q.get('nonce'));
    assert.equal(q.get('client_secret'), null, 'a public client sends no secret');

    assert.deepEqual(await view.load(flow.authUrl), { loaded: true });
    assert.equal(await page.textContent('h1'), 'Sign in to DemoBank');
    assert.equal(await page.textContent('#client'), 'sandbox-public-client');
    const scopes = await page.$$eval('#scopes li', (items) => items.map((li) => li.dataset.scope));
    assert.deepEqual(scopes, ['openid', 'profile']);
    await view.screenshot('oidc-sign-in');

    const mark = view.mark();
    await page.click('#approve');
    const redirect = await view.decisionFor(`${flow.redirectUrl}?`, { since: mark });
    assert.equal(redirect.decision, 'intercept');
    assert.equal(redirect.redirected, true);
    assert.deepEqual(redirect.outcome, { kind: 'code_accepted' });
    assert.equal(new URL(redirect.url).searchParams.get('state'), q.get('state'));

    const report = await bridge.waitFinished(flow.id);
    assert.equal(report.state.name, 'authenticated', JSON.stringify(report.state));
    assert.deepEqual(stateNames(report), [
      'created', 'awaiting_user', 'code_received', 'exchanging', 'authenticated',
    ]);
    assert.equal(report.result.idToken, true, 'an ID token, its nonce checked by the core');
    assert.equal(report.result.accessTokenActive, true);
    assert.equal(report.sandbox.stats.discoveryRequests, 1);
    assert.deepEqual(
      report.sandbox.tokenRequests.map((r) => [r.path, r.grantType, r.authMethod, r.status]),
      [['/oidc/token', 'authorization_code', 'PublicClient', 200]],
      'the code was redeemed once, with the verifier and no secret',
    );
    await view.screenshot('after-approve-redirect-intercepted');
  });
  assertNeverFetched(run.view, run.netLog, APP_LINK_HOST, run.flow.sandboxUrl);
});
