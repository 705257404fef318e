// A bank page whose links leave the WebView, each decided by the core's navigation policy:
// a custom scheme (BankID) and a bank's app-link host are opened outside the app, plain http to
// a remote host is blocked, ordinary pages load. The page is the bridge's own
// (/bank-app-link.html on loopback), because the sandbox's pages link nowhere else.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';

import * as bridge from '../lib/bridge.mjs';
import { APP_LINK_HOST, withWebView } from '../lib/scenario.mjs';

const LINKS = {
  bankid: 'bankid:///?autostarttoken=7c40b5c9-fa74-49cf-b98c-bfe651f9a7c6&redirect=null',
  mobilebank: 'https://mobilebank.example.com/open?session=42',
  plainHttp: 'http://plain.example.com/login',
  script: "javascript:void(document.title='script link ran')",
  data: 'data:text/html,%3Ch1%3Enot%20your%20bank%3C%2Fh1%3E',
  terms: 'https://www.demobank.example/terms',
};

test('a bank page that links to a custom scheme, an app-link host and plain http', async (t) => {
  const run = await withWebView(t, { kind: 'supervised' }, async ({ flow, view }) => {
    const bankPage = `${bridge.bridgeUrl()}/bank-app-link.html`;
    assert.deepEqual(await view.load(bankPage), { loaded: true });
    assert.equal((await view.decisionFor(bankPage)).decision, 'allow', 'loopback http may load');
    await view.screenshot('bank-app-link');

    /** Reloads the page, clicks the link `id`, and returns the events that followed. */
    const click = async (id, settleMs = 0) => {
      assert.deepEqual(await view.load(bankPage), { loaded: true });
      const mark = view.mark();
      await view.page.click(`#${id}`);
      if (settleMs) await sleep(settleMs);
      return mark;
    };

    // A custom scheme never reaches Fetch; the host sees it as a requested navigation.
    let mark = await click('bankid');
    const bankid = await view.decisionFor('bankid:', { since: mark });
    assert.equal(bankid.via, 'page');
    assert.equal(bankid.decision, 'open_externally');
    assert.equal(bankid.url, LINKS.bankid);
    assert.equal(view.page.url(), bankPage, 'the WebView stays on the bank page');
    await view.screenshot('after-bankid-opened-outside');
    await view.newTab(); // Chromium's own external-protocol prompt now blocks clicks in that tab.

    // The bank's app-link host (ClientConfig.external_app_hosts): opened outside, never loaded.
    mark = await click('mobilebank');
    const mobile = await view.decisionFor(LINKS.mobilebank, { since: mark });
    assert.equal(mobile.via, 'fetch');
    assert.equal(mobile.decision, 'open_externally');
    assert.equal(mobile.applied, 'aborted');
    assert.equal(view.page.url(), bankPage);

    // Plain http to a remote host: blocked.
    mark = await click('plain-http');
    const plain = await view.decisionFor(LINKS.plainHttp, { since: mark });
    assert.equal(plain.decision, 'block');
    assert.equal(plain.applied, 'aborted');
    assert.equal(view.page.url(), bankPage);

    // javascript: and data: links never become navigations a host is asked about: Chromium runs
    // the script inside the page and refuses top-level data: navigations itself. The policy's
    // verdict for such hrefs, asked directly, is to block them.
    for (const [id, href] of [['script', LINKS.script], ['data', LINKS.data]]) {
      mark = await click(id, 500);
      const after = view.events.slice(mark);
      assert.deepEqual(
        after.filter((e) => e.type === 'decision' || e.type === 'requested'),
        [],
        `no navigation to ${id} reached the host`,
      );
      assert.equal(view.page.url(), bankPage);
      assert.equal((await bridge.navigate(flow.id, href)).decision, 'block', `${id}: blocked`);
      const seen = after.filter((e) => e.type === 'scheduled').map((e) => e.reason);
      t.diagnostic(`${id} link: Chromium only scheduled it (${seen.join(', ') || 'no event'}); page title now "${await view.page.title()}"`);
    }

    // An ordinary page on loopback loads.
    mark = await click('help');
    const help = await view.decisionFor(`${bridge.bridgeUrl()}/bank-help.html`, { since: mark });
    assert.equal(help.decision, 'allow');
    await view.page.waitForSelector('#help-title');
    await view.screenshot('help');

    // Control: an ordinary https page is allowed too; Chromium then does reach for its host
    // (and fails: nothing but loopback resolves). The net log must show that attempt.
    mark = await click('terms');
    const terms = await view.decisionFor(LINKS.terms, { since: mark });
    assert.equal(terms.decision, 'allow');
    assert.equal(terms.applied, 'continued');
    const failed = await view.waitFor(
      (e) => e.type === 'failed' && e.url === LINKS.terms,
      'the allowed https page to fail to resolve',
      { since: mark },
    );
    assert.equal(failed.error, 'net::ERR_NAME_NOT_RESOLVED');

    // The login itself is untouched by all this.
    const report = await bridge.report(flow.id);
    assert.equal(report.state.name, 'awaiting_user');
    assert.equal(report.sandbox.sessions[0].exchanges, 0);
    const decided = Object.fromEntries(report.navigations.map((n) => [n.url, n.decision]));
    assert.equal(decided[LINKS.bankid], 'open_externally');
    assert.equal(decided[LINKS.mobilebank], 'open_externally');
    assert.equal(decided[LINKS.plainHttp], 'block');
  });

  const { netLog } = run;
  assert.notDeepEqual(netLog.touches('www.demobank.example'), [], 'the control was logged');
  for (const host of ['mobilebank.example.com', 'plain.example.com', APP_LINK_HOST]) {
    assert.deepEqual(netLog.touches(host), [], `Chromium never reached for ${host}`);
  }
});
