// Supervised login (Aiia Enterprise) in a real browser, against the sandbox's bank page.
//
// The host bridge owns the login through the obauth core; Chromium plays the WebView and asks
// the core about every navigation (see lib/webview.mjs). The bank answers the user's click with
// a 302 to the app link https://app.example.com/aiia/callback, which the core intercepts: it is
// never loaded.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as bridge from '../lib/bridge.mjs';
import { APP_LINK_HOST, assertNeverFetched, stateNames, withWebView } from '../lib/scenario.mjs';

// The sandbox holds the login's first status long-poll this long, so the redirect, which the
// browser delivers within a few hundred milliseconds of the click, surely wins the race.
const POLL_HELD_MS = 15000;

test('supervised login approved by clicking: the redirect wins', async (t) => {
  const run = await withWebView(t, { kind: 'supervised', statusDelayMs: POLL_HELD_MS }, async ({ flow, view }) => {
    const { page } = view;
    assert.deepEqual(await view.load(flow.authUrl), { loaded: true });
    const first = await view.decisionFor(flow.authUrl);
    assert.equal(first.decision, 'allow', 'the bank page (loopback sandbox) may load');
    assert.equal(await page.textContent('#user-hash'), 'browser-user-0001');
    assert.match(await page.title(), /Log in – DemoBank/);
    await view.screenshot('bank-login');

    const mark = view.mark();
    await page.click('#approve');
    const redirect = await view.decisionFor(flow.redirectUrl, { since: mark });
    assert.equal(redirect.decision, 'intercept');
    assert.equal(redirect.via, 'fetch');
    assert.equal(redirect.redirected, true, 'it arrived as a redirect hop of the form post');
    assert.deepEqual(redirect.outcome, { kind: 'code_accepted' });
    assert.match(redirect.url, /^https:\/\/app\.example\.com\/aiia\/callback\?code=[^&]+$/);

    const report = await bridge.waitFinished(flow.id);
    assert.equal(report.state.name, 'authenticated', JSON.stringify(report.state));
    assert.equal(report.result.ok, true);
    assert.equal(report.result.completedVia, 'redirect');
    assert.deepEqual(stateNames(report), [
      'created', 'initializing', 'awaiting_user', 'code_received', 'exchanging', 'authenticated',
    ]);
    assert.equal(report.states[3].via, 'redirect');
    const [session] = report.sandbox.sessions;
    assert.equal(session.state, 'Succeeded');
    assert.equal(session.exchanges, 1, 'exactly one exchange');
    assert.equal(report.sandbox.stats.tokenRequests, 1);
    assert.equal(report.sandbox.stats.decisionRequests, 1);

    // The WebView stayed on the bank page: the navigation to the app link was cancelled.
    assert.equal(page.url(), flow.authUrl);
    await view.screenshot('after-approve-redirect-intercepted');

    // The same redirect delivered again (back/forward, a second app-link callback) changes
    // nothing: ignored, no second exchange.
    const again = await view.load(redirect.url);
    assert.equal(again.loaded, false);
    const second = view.decisions().filter((d) => d.url === redirect.url)[1];
    assert.deepEqual(second.outcome, { kind: 'ignored', reason: 'flow_finished' });
    assert.equal((await bridge.report(flow.id)).sandbox.sessions[0].exchanges, 1);

    // Opening the bank page again shows the provider's "already finished" page.
    assert.deepEqual(await view.load(flow.authUrl), { loaded: true });
    assert.equal(await page.textContent('#message-title'), 'This login has already finished');
    await view.screenshot('bank-login-finished');
  });
  assertNeverFetched(run.view, run.netLog, APP_LINK_HOST, run.flow.sandboxUrl);
});

test('supervised login whose redirect is lost: the status long-poll completes it', async (t) => {
  const run = await withWebView(t, { kind: 'supervised', loseRedirect: true }, async ({ flow, view }) => {
    const { page } = view;
    assert.deepEqual(await view.load(flow.authUrl), { loaded: true });
    await view.screenshot('bank-login');
    const mark = view.mark();
    await page.click('#approve');

    // The WebView still asks, the core's rules still say "this is the flow's redirect", but the
    // host drops it (as when a Universal Link never reaches the app).
    const redirect = await view.decisionFor(flow.redirectUrl, { since: mark });
    assert.equal(redirect.decision, 'intercept');
    assert.deepEqual(redirect.outcome, { kind: 'lost' });

    const report = await bridge.waitFinished(flow.id);
    assert.equal(report.state.name, 'authenticated', JSON.stringify(report.state));
    assert.equal(report.result.completedVia, 'poll');
    assert.deepEqual(stateNames(report), [
      'created', 'initializing', 'awaiting_user', 'code_received', 'exchanging', 'authenticated',
    ]);
    assert.equal(report.states[3].via, 'poll');
    assert.equal(report.sandbox.sessions[0].exchanges, 1, 'exactly one exchange');
    assert.equal(report.sandbox.stats.tokenRequests, 1);
    assert.ok(report.sandbox.stats.statusRequests >= 1);
    await view.screenshot('after-approve-redirect-lost');
  });
  assertNeverFetched(run.view, run.netLog, APP_LINK_HOST, run.flow.sandboxUrl);
});

test('supervised login cancelled by the user on the bank page', async (t) => {
  const run = await withWebView(t, { kind: 'supervised', statusDelayMs: POLL_HELD_MS }, async ({ flow, view }) => {
    const { page } = view;
    assert.deepEqual(await view.load(flow.authUrl), { loaded: true });
    await view.screenshot('bank-login');
    const mark = view.mark();
    await page.click('#cancel');

    const redirect = await view.decisionFor(flow.redirectUrl, { since: mark });
    assert.equal(redirect.decision, 'intercept');
    assert.match(redirect.url, /[?&]error=cancelled(&|$)/);
    assert.equal(redirect.outcome.kind, 'provider_error');
    assert.equal(redirect.outcome.error.kind, 'cancelled');
    assert.equal(redirect.outcome.error.category, 'user_action');

    const report = await bridge.waitFinished(flow.id);
    assert.deepEqual(report.state, { name: 'cancelled', by: 'user' });
    assert.equal(report.result.ok, false);
    assert.equal(report.result.error.kind, 'cancelled');
    assert.deepEqual(stateNames(report), ['created', 'initializing', 'awaiting_user', 'cancelled']);
    assert.equal(report.sandbox.sessions[0].state, 'Cancelled');
    assert.equal(report.sandbox.sessions[0].exchanges, 0, 'nothing is exchanged');
    assert.equal(report.sandbox.stats.tokenRequests, 0);

    assert.deepEqual(await view.load(flow.authUrl), { loaded: true });
    assert.match(await page.textContent('#message'), /Cancelled/);
    await view.screenshot('bank-login-finished-cancelled');
  });
  assertNeverFetched(run.view, run.netLog, APP_LINK_HOST, run.flow.sandboxUrl);
});
