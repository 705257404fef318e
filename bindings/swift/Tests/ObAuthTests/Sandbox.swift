// Test plumbing: the sandbox's /_sandbox control API and a stand-in for the user's browser on
// the sandbox's bank page and hosted OAuth pages, over URLSession (FoundationNetworking on
// Linux). The Swift port of bindings/kotlin/test/dev/obauth/test/Sandbox.kt.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import ObAuth

/// The sandbox (`obauth sandbox`) the tests talk to, and the user's browser on its pages.
struct Sandbox: Sendable {
    let baseUrl: String
    let clientId = "sandbox-client-id"
    let clientSecret = "sandbox-client-secret"
    let publicClientId = "sandbox-public-client"

    init(baseUrl: String) {
        var base = baseUrl
        while base.hasSuffix("/") { base.removeLast() }
        self.baseUrl = base
    }

    var issuer: String { baseUrl + "/oidc" }

    // MARK: control API

    /// Scripts what the user with `userHash` does at the bank.
    func script(_ userHash: String, _ script: String, delayMs: Int = 0) async throws {
        _ = try await post("/_sandbox/script", json: [
            "userHash": userHash, "script": script, "delayMs": delayMs,
        ])
    }

    /// Injects `times` faults on `endpoint` (e.g. a delay on `status`).
    func fault(_ endpoint: String, _ fault: String, delayMs: Int = 0, times: Int = 1) async throws {
        _ = try await post("/_sandbox/faults", json: [
            "endpoint": endpoint, "fault": fault, "delayMs": delayMs, "times": times,
        ])
    }

    /// What the user does on the hosted consent pages: `page`, `approve`, `cancel`,
    /// `return_without_code`.
    func consentScript(_ script: String) async throws {
        _ = try await post("/_sandbox/oauth/consent", json: ["script": script])
    }

    /// Whether the bank of `userHash` supports unattended logins (for login tokens issued later).
    func unattendedSupport(_ userHash: String, _ supported: Bool) async throws {
        _ = try await post("/_sandbox/unattended", json: ["userHash": userHash, "supported": supported])
    }

    /// Makes every login token issued so far expire now.
    func expireLoginTokens() async throws {
        _ = try await post("/_sandbox/login-tokens/expire", json: [:])
    }

    /// The `X-Correlation-Id` of every request to `endpoint` so far, oldest first (nil: none).
    func correlationIds(_ endpoint: String) async throws -> [String?] {
        let body = try await getJSON("/_sandbox/correlation")
        guard let requests = body["requests"] as? [[String: Any]] else {
            throw TestFailure("no requests in /_sandbox/correlation")
        }
        return requests
            .filter { $0["endpoint"] as? String == endpoint }
            .map { $0["correlationId"] as? String }
    }

    /// Plays a WebView that follows every redirect from `authorizeUrl` (a consent script decides
    /// at once) until one leads to `redirect`; returns that URL.
    func followToApp(_ authorizeUrl: String, _ redirect: String) async throws -> String {
        var next = try url(authorizeUrl)
        for _ in 0..<5 {
            let answer = try await HTTP.send(URLRequest(url: next))
            guard (300..<400).contains(answer.status), let location = answer.headers["location"] else {
                throw TestFailure("\(next) answered \(answer.status)")
            }
            next = try url(location, relativeTo: next)
            if next.absoluteString.hasPrefix(redirect) { return next.absoluteString }
        }
        throw TestFailure("no redirect to \(redirect)")
    }

    /// A counter of `/_sandbox/stats` (e.g. `refreshGrants`, `oauthTokenRequests`).
    func stat(_ name: String) async throws -> Int {
        let stats = try await getJSON("/_sandbox/stats")
        guard let value = stats[name] as? NSNumber else {
            throw TestFailure("no \(name) in /_sandbox/stats")
        }
        return value.intValue
    }

    /// Counter `name` once it has stood still for `quietMs`: a request a dropped flow had already
    /// handed to the network (in the platform flavour, to URLSession) may still be on its way, and
    /// a "nothing was sent" check must not count it. A flow that goes on polling after it was
    /// dropped keeps the counter moving and still fails the check after this returns.
    func settled(_ name: String, quietMs: UInt64 = 300) async throws -> Int {
        var last = try await stat(name)
        for _ in 0..<20 {
            try await Task.sleep(nanoseconds: quietMs * 1_000_000)
            let now = try await stat(name)
            if now == last { return now }
            last = now
        }
        throw TestFailure("\(name) never stood still for \(quietMs) ms")
    }

    /// Successful code exchanges so far.
    func successfulExchanges() async throws -> Int {
        try await stat("successfulExchanges")
    }

    /// The requests that reached the OAuth token endpoints (`/_sandbox/oauth/token-requests`).
    func tokenRequests() async throws -> [[String: Any]] {
        let body = try await getJSON("/_sandbox/oauth/token-requests")
        guard let requests = body["requests"] as? [[String: Any]] else {
            throw TestFailure("no requests in /_sandbox/oauth/token-requests")
        }
        return requests
    }

    /// How many requests reached the OAuth token endpoints.
    func tokenRequestCount() async throws -> Int {
        try await tokenRequests().count
    }

    /// The last token request's `authMethod` (`client_secret_basic`, `client_secret_post`, `none`).
    func lastTokenAuthMethod() async throws -> String {
        guard let method = try await tokenRequests().last?["authMethod"] as? String else {
            throw TestFailure("no token request yet")
        }
        return method
    }

    /// Revokes every refresh token the sandbox issued; returns how many.
    func revokeRefreshTokens() async throws -> Int {
        let answer = try await post("/_sandbox/oauth/revoke-refresh-tokens", json: [:])
        guard let body = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any],
              let revoked = body["revoked"] as? NSNumber
        else { throw TestFailure("no revoked count in \(answer.body)") }
        return revoked.intValue
    }

    // MARK: the user's browser

    /// Plays the user's browser: loads the bank page at `authUrl`, submits `decision`
    /// (approve / cancel / fail) and returns the redirect's Location — the URL a WebView would
    /// be about to load next.
    func decide(_ authUrl: String, _ decision: String) async throws -> String {
        RunScan.note(url: RunScan.note(url: authUrl))
        return RunScan.note(url: try await decideUnnoted(authUrl, decision))
    }

    private func decideUnnoted(_ authUrl: String, _ decision: String) async throws -> String {
        let pageUrl = try url(authUrl)
        let page = try await HTTP.send(URLRequest(url: pageUrl))
        guard page.status == 200 else { throw TestFailure("the bank page answered \(page.status)") }
        // The start token as it stands in the URL (already encoded).
        guard let startToken = URLComponents(url: pageUrl, resolvingAgainstBaseURL: false)?
            .percentEncodedQueryItems?.first(where: { $0.name == "startToken" })?.value
        else { throw TestFailure("no startToken in the auth URL") }
        let form = "startToken=\(startToken)&decision=\(formEncode(decision))"
        let answer = try await HTTP.send(formPost(
            try url("/v1/authentication/start/decision", relativeTo: pageUrl), form
        ))
        guard let location = answer.headers["location"] else {
            throw TestFailure("the decision answered \(answer.status) without a redirect")
        }
        return location
    }

    /// Plays the user's browser on a hosted OAuth page (the Aiia consent page behind
    /// `GET /v1/oauth/connect`, or the `/oidc/authorize` sign-in page): loads `authorizeUrl`,
    /// follows the provider's redirects to the page, clicks the button `decision` (`approve` /
    /// `cancel`: submits its form with the hidden `request` and `decision` fields) and returns
    /// the answer's Location — the redirect back to the app a WebView would be about to load.
    func consent(_ authorizeUrl: String, _ decision: String) async throws -> String {
        RunScan.note(url: authorizeUrl)
        return RunScan.note(url: try await consentUnnoted(authorizeUrl, decision))
    }

    private func consentUnnoted(_ authorizeUrl: String, _ decision: String) async throws -> String {
        var pageUrl = try url(authorizeUrl)
        var page = try await HTTP.send(URLRequest(url: pageUrl))
        var hops = 0
        while (300..<400).contains(page.status) {
            hops += 1
            guard hops < 5, let next = page.headers["location"] else {
                throw TestFailure("too many redirects (or none) from \(authorizeUrl)")
            }
            pageUrl = try url(next, relativeTo: pageUrl)
            page = try await HTTP.send(URLRequest(url: pageUrl))
        }
        guard page.status == 200 else {
            throw TestFailure("the consent page answered \(page.status): \(page.body.prefix(300))")
        }
        let forms = matches(
            #"<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>"#, in: page.body, options: [.dotMatchesLineSeparators]
        )
        guard let form = forms.first(where: { $0[2].contains(#"name="decision" value="\#(decision)""#) }) else {
            throw TestFailure("no '\(decision)' form on the page")
        }
        guard let request = matches(#"name="request" value="([^"]*)""#, in: form[2]).first?[1] else {
            throw TestFailure("no hidden request field")
        }
        let body = "request=\(formEncode(unescapeHtml(request)))&decision=\(formEncode(decision))"
        let answer = try await HTTP.send(formPost(try url(unescapeHtml(form[1]), relativeTo: pageUrl), body))
        guard let location = answer.headers["location"] else {
            throw TestFailure("the decision answered \(answer.status) without a redirect")
        }
        return location
    }

    // MARK: HTTP

    private func url(_ text: String, relativeTo base: URL? = nil) throws -> URL {
        guard let url = URL(string: text, relativeTo: base)?.absoluteURL else {
            throw TestFailure("not a URL: \(text)")
        }
        return url
    }

    private func post(_ path: String, json: [String: any Sendable]) async throws -> HTTP.Answer {
        var request = URLRequest(url: try url(baseUrl + path))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.httpBody = try JSONSerialization.data(withJSONObject: json)
        let answer = try await HTTP.send(request)
        guard answer.status == 200 else {
            throw TestFailure("POST \(path) answered \(answer.status): \(answer.body)")
        }
        return answer
    }

    private func getJSON(_ path: String) async throws -> [String: Any] {
        let answer = try await HTTP.send(URLRequest(url: try url(baseUrl + path)))
        guard answer.status == 200 else { throw TestFailure("GET \(path) answered \(answer.status)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] else {
            throw TestFailure("GET \(path) answered no JSON object")
        }
        return object
    }

    private func formPost(_ url: URL, _ form: String) -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "content-type")
        request.httpBody = Data(form.utf8)
        return request
    }

    private func formEncode(_ text: String) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    private func unescapeHtml(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// One HTTP exchange without following redirects (a browser's view: the Location is the
/// answer), through the library's own delegate for that (`ExchangeCollector`, as
/// `URLSessionTransport` sends), a session per request.
enum HTTP {
    struct Answer: Sendable {
        let status: Int
        /// Header fields by lower-case name.
        let headers: [String: String]
        let body: String
    }

    static func send(_ request: URLRequest) async throws -> Answer {
        var request = request
        request.timeoutInterval = 10
        let exchanges = ExchangeCollector()
        let session = URLSession(configuration: .ephemeral, delegate: exchanges, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let answer: ExchangeAnswer = try await withCheckedThrowingContinuation { continuation in
            let task = session.dataTask(with: request)
            exchanges.start(task) { continuation.resume(with: $0) }
            task.resume()
        }
        return Answer(
            status: answer.status,
            headers: Dictionary(answer.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last }),
            body: String(decoding: answer.body, as: UTF8.self)
        )
    }
}
