// The host app's WebView, played by headless Debian Chromium.
//
// A host app asks the core about every navigation its WebView is about to make
// (WKNavigationDelegate / shouldOverrideUrlLoading) and obeys the answer. Here Chromium is the
// WebView and the DevTools protocol is the delegate:
//
// - Fetch domain, pattern '*' at the Request stage: every http(s) request is paused before it
//   leaves the browser, including each hop of a redirect chain (a 302 from the bank to the app
//   link arrives as a new paused request with `redirectedRequestId`). Document requests (main
//   frame and frames) are navigations: the bridge is asked (`decide_navigation`) and the answer
//   applied — allow → Fetch.continueRequest; intercept / open_externally / block →
//   Fetch.failRequest('Aborted'). ERR_ABORTED is the one failure Chromium does not turn into an
//   error page, so, as in a WebView whose delegate says "cancel", the current page stays.
//   Sub-resources are not navigations and no WebView asks the host about them; loopback ones
//   continue, anything else is failed and recorded as a violation.
// - Playwright's page.route() is not used: it does not intercept redirects (it continues every
//   redirect hop itself), which is exactly where the app-link redirect arrives.
// - Custom schemes (bankid:, intent:, tel:) never reach Fetch: Chromium hands them to the OS's
//   external-protocol handler (none in headless, so nothing opens). They are seen through
//   Page.frameRequestedNavigation, which fires for every renderer-initiated navigation with its
//   URL; for non-http(s) URLs the bridge is asked there and the decision recorded.
// - javascript: links run inside the page and top-level data: navigations are refused by
//   Chromium itself; neither ever becomes a navigation a host is asked about (only the deprecated
//   Page.frameScheduledNavigation mentions them), so tests ask the policy about such hrefs
//   directly.
//
// Keeping the app link off the network: Chromium starts with
// `--host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"` (nothing but loopback resolves),
// a profile whose network prediction is off (`net.network_prediction_options: 2`: otherwise
// Chromium's loading predictor preconnects — DNS + TCP + TLS — to a navigation's host when it
// starts, before any DevTools interception can stop it), and a net log (`--log-net-log`), which
// close() reads to prove that no DNS lookup, socket or request ever named a given host.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import * as bridge from './bridge.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Screenshots, net logs and event logs land here, one folder per scenario (gitignored). */
export const ARTIFACTS = path.resolve(HERE, '../../artifacts/browser');

/** Debian's Chromium (package `chromium`); playwright-core never downloads a browser here. */
export const CHROMIUM = process.env.OBAUTH_CHROMIUM ?? '/usr/bin/chromium';

/** The flags known to work on these machines (DESIGN.md), plus the resolver lock-down. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** A phone-sized viewport: the pages are laid out for a WebView. */
const VIEWPORT = { width: 390, height: 760 };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `url` is http(s) to a loopback address. */
export function isLoopback(url) {
  try {
    const u = new URL(url);
    return (u.protocol === 'http:' || u.protocol === 'https:') && LOOPBACK.has(u.hostname);
  } catch {
    return false;
  }
}

function isHttp(url) {
  return /^https?:/i.test(url);
}

/** The folder name for a scenario title. */
function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

export class WebView {
  /**
   * Launches a fresh Chromium (new profile, own net log). Set `flowId` to the bridge's flow
   * before the first navigation: that flow decides every navigation.
   * @param {string} scenario  names the artifacts folder
   */
  static async open(scenario) {
    const dir = path.join(ARTIFACTS, slug(scenario));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'obauth-chromium-'));
    fs.mkdirSync(path.join(profile, 'Default'));
    fs.writeFileSync(
      path.join(profile, 'Default', 'Preferences'),
      JSON.stringify({ net: { network_prediction_options: 2 } }),
    );
    const netlog = path.join(dir, 'netlog.json');
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: VIEWPORT,
      deviceScaleFactor: 1,
      args: [...CHROMIUM_ARGS, `--log-net-log=${netlog}`],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    const view = new WebView({ dir, profile, netlog, context, page, cdp });
    await view.#wire(cdp);
    return view;
  }

  #started = performance.now();
  #shots = 0;
  #waiters = [];
  #urls = new Map();
  #closed = false;

  constructor({ dir, profile, netlog, context, page, cdp }) {
    /** The bridge's flow whose policy decides this WebView's navigations. */
    this.flowId = null;
    this.dir = dir;
    this.profile = profile;
    this.netlog = netlog;
    this.context = context;
    this.page = page;
    this.cdp = cdp;
    /** Everything the host saw, in order. */
    this.events = [];
  }

  /** Makes `cdp`'s tab ask the host about every navigation, and records what it does. */
  async #wire(cdp) {
    cdp.on('Fetch.requestPaused', (e) => this.#onPaused(cdp, e));
    cdp.on('Page.frameRequestedNavigation', (e) => this.#onRequested(e));
    cdp.on('Page.frameScheduledNavigation', (e) =>
      this.#record({ type: 'scheduled', url: e.url, reason: e.reason }),
    );
    cdp.on('Network.requestWillBeSent', (e) => this.#urls.set(e.requestId, e.request.url));
    cdp.on('Network.responseReceived', (e) => {
      // data: responses are the error page's own images, not network traffic.
      if (!e.response.url.startsWith('data:')) {
        this.#record({ type: 'response', url: e.response.url, status: e.response.status });
      }
    });
    cdp.on('Network.loadingFailed', (e) =>
      this.#record({ type: 'failed', url: this.#urls.get(e.requestId), error: e.errorText }),
    );
    await cdp.send('Network.enable');
    await cdp.send('Page.enable');
    await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*', requestStage: 'Request' }] });
  }

  #record(event) {
    const entry = { t: Math.round(performance.now() - this.#started), ...event };
    this.events.push(entry);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.predicate(entry)) return true;
      w.resolve(entry);
      return false;
    });
    return entry;
  }

  /** The core's decision for `url`, without the bridge's (redacted) copy of the URL. */
  async #ask(url) {
    if (!this.flowId) return { decision: 'error', error: 'no flow is attached to this WebView' };
    try {
      const { url: _redacted, ...answer } = await bridge.navigate(this.flowId, url);
      return answer;
    } catch (e) {
      return { decision: 'error', error: String(e) };
    }
  }

  async #onPaused(cdp, e) {
    const { requestId, request, resourceType } = e;
    const url = request.url;
    try {
      if (resourceType !== 'Document') {
        if (isLoopback(url)) {
          await cdp.send('Fetch.continueRequest', { requestId });
        } else {
          this.#record({ type: 'violation', url, resourceType });
          await cdp.send('Fetch.failRequest', { requestId, errorReason: 'BlockedByClient' });
        }
        return;
      }
      const answer = await this.#ask(url);
      const allow = answer.decision === 'allow';
      // Apply the decision before telling anyone, so a waiter never runs ahead of Chromium.
      if (allow) {
        await cdp.send('Fetch.continueRequest', { requestId });
      } else {
        await cdp.send('Fetch.failRequest', { requestId, errorReason: 'Aborted' });
      }
      this.#record({
        type: 'decision',
        via: 'fetch',
        url,
        redirected: Boolean(e.redirectedRequestId),
        applied: allow ? 'continued' : 'aborted',
        ...answer,
      });
    } catch (error) {
      // The page may have gone away while the bridge answered.
      if (!this.#closed) this.#record({ type: 'error', url, error: String(error) });
    }
  }

  async #onRequested(e) {
    if (isHttp(e.url)) return; // Fetch decides these, redirects included.
    this.#record({ type: 'requested', url: e.url, reason: e.reason });
    const answer = await this.#ask(e.url);
    // Chromium routes non-http schemes to the OS; headless has no handler, so nothing opens and
    // the page stays. A device would now open the URL (open_externally) or drop it (block).
    this.#record({ type: 'decision', via: 'page', url: e.url, applied: 'not loaded', ...answer });
  }

  /** A position in the event log, for waiting on what happens after it. */
  mark() {
    return this.events.length;
  }

  /**
   * Resolves with the first event (past or future, from position `since` on) for which
   * `predicate` holds.
   */
  waitFor(predicate, what, { since = 0, timeoutMs = 10000 } = {}) {
    const seen = this.events.slice(since).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; events: ${JSON.stringify(this.events, null, 1)}`));
      }, timeoutMs);
      const done = (entry) => {
        clearTimeout(timer);
        resolve(entry);
      };
      this.#waiters.push({ predicate, resolve: done });
    });
  }

  /**
   * The first decision for a URL starting with `prefix` (from position `since` on). For a
   * navigation that was not loaded, resolves only once Chromium has dropped it (its
   * `loadingFailed`), so the next step never races the cancelled navigation.
   */
  async decisionFor(prefix, { since = 0, timeoutMs } = {}) {
    const decision = await this.waitFor(
      (e) => e.type === 'decision' && e.url.startsWith(prefix),
      `the host's decision for ${prefix}`,
      { since, timeoutMs },
    );
    if (decision.applied !== 'continued') {
      await this.waitFor(
        (e) => e.type === 'failed' && e.url === decision.url,
        `Chromium to drop the navigation to ${decision.url}`,
        { since },
      );
    }
    return decision;
  }

  /** Every decision so far. */
  decisions() {
    return this.events.filter((e) => e.type === 'decision');
  }

  /**
   * Loads `url` as the host does with the URL a flow hands it. The navigation goes through the
   * policy like any other. Resolves `{ loaded: true }`, or `{ loaded: false, error }` when the
   * navigation was cancelled (intercepted, opened outside or blocked).
   */
  async load(url) {
    try {
      await this.page.goto(url, { waitUntil: 'load', timeout: 15000 });
      return { loaded: true };
    } catch (error) {
      return { loaded: false, error: String(error).split('\n')[0] };
    }
  }

  /**
   * Replaces the tab with a fresh, equally wired one (same browser, profile, net log and event
   * log). Needed after a custom-scheme link: Chromium then shows its "open external
   * application?" prompt as a tab-modal dialog, which swallows every later click in that tab
   * (reloading does not dismiss it); a WebView has no such prompt.
   */
  async newTab() {
    const old = this.page;
    this.page = await this.context.newPage();
    this.cdp = await this.context.newCDPSession(this.page);
    await this.#wire(this.cdp);
    await old.close();
  }

  /** Saves a PNG of what the WebView shows now, numbered in step order. */
  async screenshot(step) {
    this.#shots += 1;
    const file = path.join(this.dir, `${String(this.#shots).padStart(2, '0')}-${step}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /**
   * Closes Chromium (which completes the net log), writes the event log and returns a reader of
   * the net log.
   */
  async close() {
    if (this.#closed) return this.netLog;
    this.#closed = true;
    await this.context.close().catch(() => {});
    fs.rmSync(this.profile, { recursive: true, force: true });
    const redacted = JSON.stringify(this.events, null, 2).replace(/([?&]code=)[^&"]*/g, '$1[redacted]');
    fs.writeFileSync(path.join(this.dir, 'events.json'), redacted);
    this.netLog = NetLog.read(this.netlog);
    return this.netLog;
  }
}

/** Chromium's net log: every DNS lookup, socket, preconnect and request the browser made. */
export class NetLog {
  static read(file) {
    let text = fs.readFileSync(file, 'utf8');
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      // A browser that did not shut down cleanly leaves the events array open.
      text = text.trimEnd().replace(/,$/, '');
      data = JSON.parse(`${text}]}`);
    }
    return new NetLog(data);
  }

  constructor(data) {
    const names = Object.fromEntries(
      Object.entries(data.constants.logEventTypes).map(([name, id]) => [id, name]),
    );
    this.events = (data.events ?? []).map((e) => ({
      type: names[e.type] ?? String(e.type),
      params: JSON.stringify(e.params ?? {}),
    }));
  }

  /**
   * The events in which the browser itself reached for `host`: DNS lookups, preconnects,
   * sockets, requests. Mentions that are not the browser's doing are left out: the host
   * percent-encoded inside another URL (`redirect_uri=https%3A%2F%2Fapp.example.com…` in the
   * authorize URL) and the response headers of a loopback request (the sandbox's `Location:`
   * naming the app link).
   */
  touches(host) {
    const escaped = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const named = new RegExp(`(?<!%2F)${escaped}`, 'i');
    return this.events
      .filter((e) => named.test(e.params))
      .filter((e) => e.type !== 'HTTP_TRANSACTION_READ_RESPONSE_HEADERS')
      .map((e) => `${e.type} ${e.params.slice(0, 200)}`);
  }

  /** Requests the browser started to `origin` (URL_REQUEST_START_JOB), as a sanity check. */
  requestsTo(origin) {
    return this.events.filter(
      (e) => e.type === 'URL_REQUEST_START_JOB' && e.params.includes(`"url":"${origin}`),
    ).length;
  }
}
