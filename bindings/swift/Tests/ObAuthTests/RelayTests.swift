// Relay mode through the Swift bindings, end to end: the real library talks to two real relays
// (`obauth relay`, started by bindings/scripts/test-swift.sh) in front of the sandbox. The port
// of bindings/kotlin/test/dev/obauth/test/RelayTests.kt. Foundation on Linux has no HMAC, so
// the script mints the app tokens (scripts/lib/mint_app_tokens.py) and passes them in
// OBAUTH_RELAY_TOKENS, with the relays' URLs (OBAUTH_RELAY_URLS) and logs (OBAUTH_RELAY_LOGS).
//
// The device-side checks go through the bindings (ObAuthClient.relay and an AppTokenProvider);
// what a device could send that the bindings never would (another user's handle, a code from
// another session, a userHash) is sent by hand to the same relays.

import Foundation
import XCTest
@testable import ObAuth
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The relays of this run and the tokens minted for each test subject.
struct RelaySetup: Sendable {
    let urls: [String]
    let logs: [String]
    /// Subject -> kind (`valid`, `expired`, `wrongSignature`, `wrongAudience`, `userHash`).
    let tokens: [String: [String: String]]

    static func load() throws -> RelaySetup {
        let env = ProcessInfo.processInfo.environment
        guard let urls = env["OBAUTH_RELAY_URLS"], let json = env["OBAUTH_RELAY_TOKENS"] else {
            throw TestFailure("OBAUTH_RELAY_URLS / OBAUTH_RELAY_TOKENS unset (bindings/scripts/test-swift.sh sets them)")
        }
        guard let tokens = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: String]] else {
            throw TestFailure("OBAUTH_RELAY_TOKENS is not the minted tokens' JSON")
        }
        return RelaySetup(
            urls: urls.split(separator: " ").map(String.init),
            logs: (env["OBAUTH_RELAY_LOGS"] ?? "").split(separator: " ").map(String.init),
            tokens: tokens
        )
    }

    /// A token of `kind` for `subject` (or the subject's derived `userHash`).
    func token(_ subject: String, _ kind: String = "valid") throws -> String {
        try unwrap(tokens[subject]?[kind], "minted \(kind) for \(subject)")
    }
}

/// The host's app token source: `current` until a forced refresh, then `fresh`; counts calls.
final class CountingTokens: AppTokenProvider, Sendable {
    private struct State {
        var current: String
        var calls = 0
        var refreshes = 0
    }

    private let state: Locked<State>
    private let fresh: String

    init(_ current: String, fresh: String? = nil) {
        state = Locked(State(current: current))
        self.fresh = fresh ?? current
    }

    var calls: Int { state.withLock { $0.calls } }
    var refreshes: Int { state.withLock { $0.refreshes } }

    func appToken(forceRefresh: Bool) throws -> Secret {
        let fresh = self.fresh
        return Secret(state.withLock { s in
            s.calls += 1
            if forceRefresh {
                s.refreshes += 1
                s.current = fresh
            }
            return s.current
        })
    }
}

/// One answer of a relay to a request sent by hand.
private func relayRequest(
    _ method: String, _ base: String, _ path: String, token: String?, json: String? = nil
) async throws -> HTTP.Answer {
    var request = URLRequest(url: try unwrap(URL(string: base + path), "URL"))
    request.httpMethod = method
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "authorization") }
    if let json {
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.httpBody = Data(json.utf8)
    }
    let answer = try await HTTP.send(request)
    relayAnswers.append(answer.body)
    return answer
}

/// Every body a relay answered in these tests, for the secret check.
private let relayAnswers = Recorder<String>()

private func jsonField(_ body: String, _ name: String) throws -> String {
    try unwrap(matches(#""\#(name)"\s*:\s*"([^"]*)""#, in: body).first?[1], "\(name) in \(body)")
}

/// Initializes a login by hand; returns (handle, authUrl).
private func initialize(_ base: String, _ token: String, extra: String = "") async throws -> (String, String) {
    let a = try await relayRequest(
        "POST", base, "/v1/authentication/initialize", token: token,
        json: #"{"redirectUrl":"\#(REDIRECT)"\#(extra)}"#
    )
    guard a.status == 200 else { throw TestFailure("initialize answered \(a.status): \(a.body)") }
    return (try jsonField(a.body, "sessionId"), try jsonField(a.body, "authUrl"))
}

private func relayLogin(_ client: ObAuthClient, redirect: String = REDIRECT) throws -> SupervisedLogin {
    try client.supervisedLogin(params: SupervisedLoginParams(userHash: "", redirectUrl: redirect))
}

private func relayClient(_ tokens: CountingTokens, _ relay: RelaySetup, instance: Int = 0) throws -> ObAuthClient {
    try ObAuthClient.relay(relayUrl: relay.urls[instance], appTokenProvider: tokens)
}

/// A whole login through the relay by poll (the user of `subject` approves after `delayMs`)
/// whose first app token has expired and whose fresh one works: the app token source, to count.
private func loginWithAnExpiredAppToken(
    _ sandbox: Sandbox,
    _ relay: RelaySetup,
    _ subject: String,
    delayMs: Int
) async throws -> CountingTokens {
    try await sandbox.script(try relay.token(subject, "userHash"), "approve", delayMs: delayMs)
    let tokens = CountingTokens(try relay.token(subject, "expired"), fresh: try relay.token(subject))
    let login = try relayLogin(try relayClient(tokens, relay))
    login.start()
    _ = try await login.awaitTokens().seen()
    return tokens
}

final class RelayTests: ObAuthTestCase {
    func testRelayLoginByPollProviderSeesTheDerivedUserHash() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            try await sandbox.script(try relay.token("sw-poll", "userHash"), "approve", delayMs: 300)
            let before = try await sandbox.successfulExchanges()
            let tokens = CountingTokens(try relay.token("sw-poll"))
            let login = try relayLogin(try relayClient(tokens, relay))
            login.start()
            let result = try await login.awaitTokens().seen()
            XCTAssertEqual(result.completedVia, .poll)
            XCTAssertFalse(result.accessToken.expose().isEmpty)
            try await assertEqual(await sandbox.successfulExchanges(), before + 1, "exchanges")
            XCTAssertEqual(tokens.refreshes, 0, "forced refreshes")
        }
    }

    func testRelayLoginByRedirect() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            // Hold the first long-poll so the redirect, not the poll, delivers the code.
            try await sandbox.fault("status", "delay", delayMs: 1500)
            let login = try relayLogin(try relayClient(CountingTokens(try relay.token("sw-redirect")), relay))
            login.start()
            let authUrl = try await awaitingUser(login)
            let location = try await sandbox.decide(authUrl, "approve")
            XCTAssertTrue(location.hasPrefix(REDIRECT), location)
            XCTAssertEqual(login.handleRedirect(url: location), .codeAccepted)
            let result = try await login.awaitTokens().seen()
            XCTAssertEqual(result.completedVia, .redirect)
        }
    }

    func testRelayExpiredAppTokenIsRefreshedOnceAndTheLoginGoesOn() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            let tokens = try await loginWithAnExpiredAppToken(sandbox, relay, "sw-expired", delayMs: 200)
            XCTAssertEqual(tokens.refreshes, 1, "forced refreshes")
        }
    }

    func testRelayAppTokenMissingOrMalformedIsInvalidAppToken() async throws {
        try await bounded {
            let relay = try RelaySetup.load()
            for token in [nil, "not-a-jwt"] as [String?] {
                let a = try await relayRequest(
                    "POST", relay.urls[0], "/v1/authentication/initialize", token: token,
                    json: #"{"redirectUrl":"\#(REDIRECT)"}"#
                )
                XCTAssertEqual(a.status, 401, "token \(token ?? "none")")
                XCTAssertEqual(a.body, #"{"error":"InvalidAppToken"}"#)
                XCTAssertEqual(a.headers["www-authenticate"], #"Bearer error="invalid_token""#)
            }
        }
    }

    func testRelayRejectedAppTokensFailWithAppTokenRejectedAfterOneRetry() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            let before = try await sandbox.stat("initializeRequests")
            for kind in ["expired", "wrongSignature", "wrongAudience"] {
                let bad = try relay.token("sw-rejected", kind)
                let tokens = CountingTokens(bad)
                let login = try relayLogin(try relayClient(tokens, relay))
                login.start()
                let error = try await expectObAuthError(kind) { try await login.awaitTokens().seen() }
                XCTAssertEqual(caseName(error), "Reauthenticate", kind)
                XCTAssertEqual(error.category, .reauthenticate, kind)
                XCTAssertEqual(error.code, "app_token_rejected", kind)
                XCTAssertEqual(tokens.refreshes, 1, "\(kind): one fresh-token retry")
                XCTAssertEqual(tokens.calls, 2, "\(kind): token requests")
                XCTAssertFalse("\(error)".contains(bad), "\(kind): the token leaked into the error")
            }
            try await assertEqual(await sandbox.stat("initializeRequests"), before, "initializations at the provider")
        }
    }

    func testRelayAnotherUsersSessionHandleIsRefused() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            let alice = try relay.token("sw-alice")
            let bob = try relay.token("sw-bob")
            // By hand: Bob presents Alice's handle.
            let (handle, _) = try await initialize(relay.urls[0], alice)
            let status = try await relayRequest(
                "GET", relay.urls[0], "/v1/authentication/\(handle)/status?pollTimeout=0", token: bob
            )
            XCTAssertEqual(status.status, 403, status.body)
            XCTAssertEqual(status.body, #"{"error":"Forbidden"}"#)
            // Through the bindings: Alice's saved login restored in Bob's app session fails and is
            // never exchanged, even after Alice approves at the bank.
            let aliceLogin = try relayLogin(try relayClient(CountingTokens(alice), relay))
            aliceLogin.start()
            let authUrl = try await awaitingUser(aliceLogin)
            let snapshot = try aliceLogin.snapshot().seenSnapshot()
            aliceLogin.cancel()
            let before = try await sandbox.successfulExchanges()
            let bobLogin = try relayClient(CountingTokens(bob), relay).restoreSupervisedLogin(snapshot: snapshot)
            bobLogin.resume()
            _ = try await sandbox.decide(authUrl, "approve")
            let error = try await expectObAuthError("Bob's restored login") { try await bobLogin.awaitTokens().seen() }
            XCTAssertNotEqual(caseName(error), "InvalidInput", "\(error)")
            try await assertEqual(await sandbox.successfulExchanges(), before, "exchanges")
        }
    }

    func testRelayCodeFromAnotherSessionIsNeverExchanged() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            let token = try relay.token("sw-two-sessions")
            let (first, firstAuthUrl) = try await initialize(relay.urls[0], token)
            let (second, _) = try await initialize(relay.urls[0], token)
            let location = try await sandbox.decide(firstAuthUrl, "approve")
            let code = try unwrap(queryParam(location, "code"), "code")
            let before = try await sandbox.successfulExchanges()
            let wrong = try await relayRequest(
                "POST", relay.urls[0], "/v1/authentication/tokens", token: token,
                json: #"{"code":"\#(code)","sessionId":"\#(second)"}"#
            )
            XCTAssertEqual(wrong.status, 403, wrong.body)
            try await assertEqual(await sandbox.successfulExchanges(), before, "nothing exchanged")
            // The code itself was good: with its own session's handle it is exchanged.
            let right = try await relayRequest(
                "POST", relay.urls[0], "/v1/authentication/tokens", token: token,
                json: #"{"code":"\#(code)","sessionId":"\#(first)"}"#
            )
            XCTAssertEqual(right.status, 200, right.body)
            try await assertEqual(await sandbox.successfulExchanges(), before + 1, "one exchange")
        }
    }

    func testRelayRedirectOffTheAllowlistIsRefused() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            let token = try relay.token("sw-allowlist")
            let evil = "https://evil.example.com/aiia/callback"
            let a = try await relayRequest(
                "POST", relay.urls[0], "/v1/authentication/initialize", token: token,
                json: #"{"redirectUrl":"\#(evil)"}"#
            )
            XCTAssertEqual(a.status, 400)
            XCTAssertEqual(a.body, #"{"error":"RedirectUrlNotAllowed"}"#)
            let before = try await sandbox.stat("initializeRequests")
            let login = try relayLogin(try relayClient(CountingTokens(token), relay), redirect: evil)
            login.start()
            let error = try await expectObAuthError("a login to \(evil)") { try await login.awaitTokens().seen() }
            XCTAssertNotEqual(error.category, .reauthenticate, "not an app-token problem: \(error)")
            try await assertEqual(await sandbox.stat("initializeRequests"), before, "initializations at the provider")
        }
    }

    func testRelayUserHashSentByTheDeviceIsIgnored() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            let victim = "sw-victim-\(DispatchTime.now().uptimeNanoseconds)"
            _ = try await initialize(relay.urls[0], try relay.token("sw-user-hash"), extra: #","userHash":"\#(victim)""#)
            let sessions = try await HTTP.send(URLRequest(url: try unwrap(URL(string: sandbox.baseUrl + "/_sandbox/sessions"), "URL")))
            XCTAssertFalse(sessions.body.contains(victim), "the device's userHash reached the provider")
            let derived = try relay.token("sw-user-hash", "userHash")
            XCTAssertTrue(sessions.body.contains(#""userHash":"\#(derived)""#), "no session for the derived userHash")
            // The bindings do not even take one in relay mode.
            let error = try expectObAuthErrorSync("a userHash in relay mode") {
                try relayClient(CountingTokens(try relay.token("sw-user-hash")), relay)
                    .supervisedLogin(params: SupervisedLoginParams(userHash: victim, redirectUrl: REDIRECT))
            }
            XCTAssertEqual(invalidInputField(error), "userHash")
        }
    }

    func testRelayTwoInstancesServeOneLoginAlternately() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            XCTAssertEqual(relay.urls.count, 2, "the script starts two relays")
            let token = try relay.token("sw-two-instances")
            // By hand: initialize on one, poll on the other, back, exchange on the second.
            let (handle, authUrl) = try await initialize(relay.urls[0], token)
            let path = "/v1/authentication/\(handle)/status?pollTimeout=0"
            let onSecond = try await relayRequest("GET", relay.urls[1], path, token: token)
            XCTAssertEqual(onSecond.status, 200, onSecond.body)
            let location = try await sandbox.decide(authUrl, "approve")
            let onFirst = try await relayRequest("GET", relay.urls[0], path, token: token)
            XCTAssertEqual(onFirst.status, 200, onFirst.body)
            let code = try unwrap(queryParam(location, "code"), "code")
            let exchange = try await relayRequest(
                "POST", relay.urls[1], "/v1/authentication/tokens", token: token,
                json: #"{"code":"\#(code)","sessionId":"\#(handle)"}"#
            )
            XCTAssertEqual(exchange.status, 200, exchange.body)
            // Through the bindings: started against one instance, restored and finished against the other.
            let tokens = CountingTokens(token)
            let first = try relayLogin(try relayClient(tokens, relay, instance: 0))
            first.start()
            let url = try await awaitingUser(first)
            let snapshot = try first.snapshot().seenSnapshot()
            first.cancel()
            let second = try relayClient(tokens, relay, instance: 1).restoreSupervisedLogin(snapshot: snapshot)
            second.resume()
            _ = try await sandbox.decide(url, "approve")
            let result = try await second.awaitTokens().seen()
            XCTAssertEqual(result.completedVia, .poll)
        }
    }

    /// Unattended login through the relay (`POST /v1/authentication/unattended`): the device
    /// sends no userHash (the relay derives it); a spent login token is `login_token_rejected`.
    func testRelayUnattendedLoginDeviceUserHashAndSpentTokenRefused() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            let derived = try relay.token("sw-unattended", "userHash")
            try await sandbox.script(derived, "approve", delayMs: 100)
            let client = try relayClient(CountingTokens(try relay.token("sw-unattended")), relay)
            let login = try relayLogin(client)
            login.start()
            let first = try await login.awaitTokens().seen()
            XCTAssertTrue(first.supportsUnattended, "the bank supports unattended logins")
            let before = try await sandbox.stat("unattendedLogins")
            let second = try await client.unattendedLogin(userHash: "", loginToken: first.loginToken).seen()
            XCTAssertEqual(second.completedVia, .unattended, "completedVia")
            XCTAssertNotEqual(second.loginToken.expose(), first.loginToken.expose(), "replaced")
            let after = try await sandbox.stat("unattendedLogins")
            XCTAssertEqual(after, before + 1, "unattended logins at the provider")
            let bad = try await expectObAuthError("a userHash in relay mode") {
                try await client.unattendedLogin(userHash: derived, loginToken: second.loginToken)
            }
            XCTAssertEqual(invalidInputField(bad), "userHash")
            let spent = try await expectObAuthError("the spent login token") {
                try await client.unattendedLogin(userHash: "", loginToken: first.loginToken)
            }
            XCTAssertEqual(caseName(spent), "Reauthenticate")
            XCTAssertEqual(spent.code, "login_token_rejected")
            try await assertEqual(await sandbox.stat("unattendedLogins"), before + 1, "unattended logins after the refusals")
        }
    }

    /// Aiia Data connect through the relay: the provider's consent page, the exchange and the
    /// refresh at the relay (which authenticates them with the partner's Basic auth); a
    /// snapshot restores with the same consent page.
    func testRelayConnectGivesTokensRefreshGoesThroughTheRelay() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            let consent = ConsentPage(apiUrl: sandbox.baseUrl, clientId: sandbox.clientId)
            let params = AuthorizationParams(redirectUri: CONNECT_REDIRECT, redirectPattern: CONNECT_PATTERN)
            // Not a relay client: refused before anything is sent.
            let direct = try expectObAuthErrorSync("relayConnectFlow on a direct client") {
                try sandboxClient(sandbox).relayConnectFlow(consent: consent, params: params)
            }
            XCTAssertEqual(invalidInputField(direct), "relayUrl")

            let appTokens = CountingTokens(try relay.token("sw-connect"))
            let client = try relayClient(appTokens, relay)
            var first: AuthorizationFlow? = try client.relayConnectFlow(consent: consent, params: params)
            first?.start()
            let url = try authorizeUrl(try unwrap(first, "flow"))
            // The consent page is the provider's, naming the partner's public client id.
            XCTAssertTrue(url.hasPrefix(sandbox.baseUrl + "/v1/oauth/connect?"), url)
            XCTAssertEqual(queryParam(url, "client_id"), sandbox.clientId, "client_id")
            let snapshot = try unwrap(first, "flow").snapshot().seenSnapshot()
            first = nil // the OS kills the app while the user is at the bank
            let restored = try client.restoreRelayConnectFlow(consent: consent, snapshot: snapshot)
            restored.resume()
            let location = try await sandbox.consent(try authorizeUrl(restored), "approve")
            XCTAssertEqual(restored.handleRedirect(url: location), .codeAccepted, "the connect redirect")
            let tokens = try await restored.awaitTokens().seen()
            XCTAssertFalse(tokens.accessToken.expose().isEmpty, "no access token")
            XCTAssertNotNil(tokens.refreshToken, "no refresh token")
            XCTAssertEqual(tokens.consentId, queryParam(location, "consentId"), "consentId")
            try await assertEqual(await sandbox.lastTokenAuthMethod(), "client_secret_basic", "the relay authenticated the exchange")
            XCTAssertGreaterThan(appTokens.calls, 0, "the app token was never asked for")

            let grants = try await sandbox.stat("refreshGrants")
            let renewed = try await client.connectTokens(tokens: tokens).forceRenewal().seen()
            XCTAssertNotEqual(renewed.accessToken, tokens.accessToken, "forceRenewal kept the access token")
            try await assertEqual(await sandbox.stat("refreshGrants"), grants + 1, "refresh grants")
            try await assertEqual(await sandbox.lastTokenAuthMethod(), "client_secret_basic", "the relay authenticated the refresh")
        }
    }

    /// A connect redirect registered at the provider but off the relay's allowlist: the relay
    /// refuses the exchange, the code never reaches the provider's token endpoint.
    func testRelayConnectRedirectOffTheAllowlistIsRefused() async throws {
        try await withSandboxAndRelay { sandbox, relay in
            // Registered at the provider (loopback, any port), not on the relay's allowlist.
            let redirect = "http://127.0.0.1:8765/connect-callback"
            let client = try relayClient(CountingTokens(try relay.token("sw-connect-allowlist")), relay)
            let flow = try client.relayConnectFlow(
                consent: ConsentPage(apiUrl: sandbox.baseUrl, clientId: sandbox.clientId),
                params: AuthorizationParams(redirectUri: redirect)
            )
            flow.start()
            let location = try await sandbox.consent(try authorizeUrl(flow), "approve")
            XCTAssertTrue(location.hasPrefix(redirect), location)
            let code = try unwrap(queryParam(location, "code"), "code")
            let before = try await sandbox.stat("oauthTokenRequests")
            XCTAssertEqual(flow.handleRedirect(url: location), .codeAccepted, "the redirect")
            let error = try await expectObAuthError("the exchange for \(redirect)") { try await flow.awaitTokens().seen() }
            XCTAssertEqual(error.code, "redirect_url_not_allowed", "a set-up error: \(error)")
            XCTAssertEqual(error.category, .fatal, "a set-up error is Fatal: \(error)")
            XCTAssertTrue("\(error)".contains("RedirectUrlNotAllowed"), "the relay's refusal is not named: \(error)")
            XCTAssertFalse("\(error)".contains(code), "the code is in the error")
            try await assertEqual(await sandbox.stat("oauthTokenRequests"), before, "token requests at the provider (never exchanged)")
        }
    }

    /// Runs a full login (with one app-token refresh) under a log sink, then checks every relay
    /// answer recorded by this suite so far, every relay log line and every core log record.
    func testRelayZPartnerSecretIsInNoResponseAndNoLogLine() async throws {
        let records = Recorder<LogRecord>()
        setLogSink(level: .trace) { records.append($0) }
        defer { clearLogSink() }
        try await withSandboxAndRelay { sandbox, relay in
            _ = try await loginWithAnExpiredAppToken(sandbox, relay, "sw-secret", delayMs: 100)
            // The relay's answers, by hand.
            _ = try await initialize(relay.urls[1], try relay.token("sw-secret"))
            let env = ProcessInfo.processInfo.environment
            let secrets = [sandbox.clientSecret, env["RELAY_KEY"] ?? "", env["RELAY_APP_SECRET"] ?? ""]
            XCTAssertFalse(secrets.contains(""), "RELAY_KEY / RELAY_APP_SECRET unset")
            var lines = relayAnswers.all
            XCTAssertFalse(lines.isEmpty, "no relay answers recorded")
            for log in relay.logs {
                let text = try String(contentsOfFile: log, encoding: .utf8)
                XCTAssertTrue(text.contains("/v1/authentication/tokens"), "\(log) does not cover the exchanges")
                lines += text.split(separator: "\n").map(String.init)
            }
            lines += records.all.map { "\($0.target) \($0.message)" }
            XCTAssertFalse(records.all.isEmpty, "the core logged nothing")
            for (index, secret) in secrets.enumerated() {
                for line in lines where line.contains(secret) {
                    XCTFail("secret #\(index) in a response or log line")
                }
            }
        }
    }
}
