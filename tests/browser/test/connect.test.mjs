// Aiia Data connect in a real browser: the authorize URL, the provider's 302 to its hosted
// consent page, the user's click, and the redirect back to the app link with code, state and
// consentId. The core checks `state`: a forged redirect reaching the WebView first is refused
// and never exchanged, and the genuine one still completes the flow.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as bridge from '../lib/bridge.mjs';
import { APP_LINK_HOST, assertNeverFetched, stateNames, withWebView } from '../lib/scenario.mjs';

test('connect flow: consent page approved, state checked, a forged redirect refused', async (t) => {
  const run = await withWebView(t, { kind: 'connect', accountsGroupName: 'Household' }, async ({ flow, view }) => {
    const { page } = view;
    const authorize = new URL(flow.authUrl);
    const state = authorize.searchParams.get('state');
    assert.equal(authorize.pathname, '/v1/oauth/connect');
    assert.ok(state && state.length >= 43, 'a fresh 256-bit state');
    assert.equal(authorize.searchParams.get('redirect_uri'), flow.redirectUrl);

    // An attacker's page sends the WebView to the app link with its own code and state.
    const forged = `${flow.redirectUrl}?code=attacker-code&state=attacker-state&consentId=c-attacker`;
    assert.equal((await view.load(forged)).loaded, false);
    const refused = await view.decisionFor(forged);
    assert.equal(refused.decision, 'intercept');
    assert.equal(refused.outcome.kind, 'rejected');
    assert.equal(refused.outcome.error.kind, 'state_mismatch');
    assert.equal(refused.outcome.error.category, 'fatal');
    assert.equal((await bridge.report(flow.id)).state.name, 'awaiting_user', 'the flow keeps waiting');

    // The authorize URL answers with a 302 to the hosted consent page; both hops are allowed.
    assert.deepEqual(await view.load(flow.authUrl), { loaded: true });
    const consentHop = await view.decisionFor(`${flow.sandboxUrl}/v1/oauth/connect/consent`);
    assert.equal(consentHop.decision, 'allow');
    assert.equal(consentHop.redirected, true);
    assert.equal(await page.title(), 'Aiia — connect your bank');
    assert.equal(await page.textContent('#client'), 'sandbox-client-id');
    assert.equal(await page.textContent('#accounts-group'), 'Household');
    const scopes = await page.$$eval('#scopes li', (items) => items.map((li) => li.dataset.scope));
    assert.deepEqual(scopes, ['accounts', 'offline_access']);
    await view.screenshot('consent');

    const mark = view.mark();
    await page.click('#approve');
    const redirect = await view.decisionFor(`${flow.redirectUrl}?code=`, { since: mark });
    assert.equal(redirect.decision, 'intercept');
    assert.equal(redirect.redirected, true);
    assert.deepEqual(redirect.outcome, { kind: 'code_accepted' });
    const back = new URL(redirect.url);
    assert.equal(back.searchParams.get('state'), state, 'the provider echoed our state');
    const consentId = back.searchParams.get('consentId');
    assert.ok(consentId);

    const report = await bridge.waitFinished(flow.id);
    assert.equal(report.state.name, 'authenticated', JSON.stringify(report.state));
    assert.deepEqual(stateNames(report), [
      'created', 'awaiting_user', 'code_received', 'exchanging', 'authenticated',
    ]);
    assert.equal(report.result.consentId, consentId);
    assert.equal(report.result.refreshable, true);
    assert.equal(report.result.accessTokenActive, true, 'the sandbox issued this access token');
    assert.equal(report.sandbox.stats.oauthCodeExchanges, 1);
    assert.deepEqual(
      report.sandbox.tokenRequests.map((r) => [r.path, r.grantType, r.authMethod, r.status]),
      [['/v1/oauth/token', 'authorization_code', 'ClientSecretBasic', 200]],
      'one code exchange, with Basic client authentication; the forged code never reached it',
    );
    await view.screenshot('after-approve-redirect-intercepted');
  });
  assertNeverFetched(run.view, run.netLog, APP_LINK_HOST, run.flow.sandboxUrl);
});
