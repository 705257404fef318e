// One scenario = one flow at the bridge + one fresh WebView (Chromium) + its artifacts.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import * as bridge from './bridge.mjs';
import { WebView } from './webview.mjs';

/** The app-link host of every flow's redirect; it must never be reached over the network. */
export const APP_LINK_HOST = 'app.example.com';

/**
 * Opens a WebView, creates a flow with `options` for it, runs `body({ flow, view })`, then closes
 * the browser, saves the bridge's report next to the screenshots and forgets the flow. Returns
 * `{ flow, view, netLog }` (the browser's net log, read after it closed).
 *
 * The browser starts first so that the flow's clock (its first status long-poll leaves as soon
 * as it waits for the user) does not include Chromium's start-up.
 */
export async function withWebView(t, options, body) {
  const view = await WebView.open(t.name);
  let flow;
  try {
    flow = await bridge.createFlow(options);
    view.flowId = flow.id;
    await body({ flow, view });
  } finally {
    await view.close();
    if (flow) {
      const report = await bridge.report(flow.id).catch((e) => ({ error: String(e) }));
      fs.writeFileSync(path.join(view.dir, 'report.json'), JSON.stringify(report, null, 2));
      await bridge.removeFlow(flow.id).catch(() => {});
    }
  }
  return { flow, view, netLog: view.netLog };
}

/**
 * The proof that the app link stayed off the network: the host was asked about every navigation
 * to it while the request was paused in Fetch's Request stage (before Chromium sends anything)
 * and aborted it; Chromium ended each as cancelled, never with a network error; no response came
 * from that host; and Chromium's own net log has no DNS lookup, preconnect, socket or request
 * naming it — while it does log the sandbox's requests (so the log is not simply empty).
 */
export function assertNeverFetched(view, netLog, host, sandboxUrl) {
  const decisions = view.events.filter((e) => e.type === 'decision' && new URL(e.url).host === host);
  assert.ok(decisions.length > 0, `the host was asked about ${host}`);
  for (const d of decisions) {
    assert.equal(d.applied, 'aborted', `every navigation to ${host} was stopped: ${JSON.stringify(d)}`);
  }
  const responses = view.events.filter((e) => e.type === 'response' && new URL(e.url).host === host);
  assert.deepEqual(responses, [], `no response from ${host}`);
  // Chromium ended each of them as cancelled by the host, never with a network error (a DNS
  // failure here would mean it had tried to reach the host).
  const failures = view.events.filter((e) => e.type === 'failed' && new URL(e.url).host === host);
  assert.deepEqual([...new Set(failures.map((e) => e.error))], ['net::ERR_ABORTED']);
  assert.deepEqual(netLog.touches(host), [], `Chromium's net log never reaches for ${host}`);
  assert.ok(netLog.requestsTo(sandboxUrl) > 0, 'the net log does record the sandbox requests');
}

/** The names of the states the host observed, in order. */
export const stateNames = (report) => report.states.map((s) => s.name);
