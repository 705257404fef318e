// The sandbox's /_sandbox control API and a stand-in for the user's browser on its bank page, over
// URLSession. Mirrors android-sample/jvm-test/.../SandboxControl.kt on purpose: the sample's tests
// do not depend on another suite's internals.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A test's failure with a message that says what was expected.
struct TestFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

final class SandboxControl: Sendable {
    let baseUrl: String
    private let session: URLSession

    /// The sandbox bindings/scripts/test-swift.sh started (`OBAUTH_SANDBOX_URL`).
    static func fromEnvironment() throws -> SandboxControl {
        guard let url = ProcessInfo.processInfo.environment["OBAUTH_SANDBOX_URL"], !url.isEmpty else {
            throw TestFailure("OBAUTH_SANDBOX_URL is not set (bindings/scripts/test-swift.sh sets it)")
        }
        return SandboxControl(baseUrl: url)
    }

    init(baseUrl: String) {
        self.baseUrl = baseUrl.hasSuffix("/") ? String(baseUrl.dropLast()) : baseUrl
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        configuration.timeoutIntervalForResource = 15
        session = URLSession(configuration: configuration, delegate: NoRedirects(), delegateQueue: nil)
    }

    /// Scripts what the user with `userHash` does at the bank (approve / page / never …).
    func script(_ userHash: String, _ script: String, delayMs: Int = 0) async throws {
        try await post("/_sandbox/script", json: #"{"userHash":"\#(userHash)","script":"\#(script)","delayMs":\#(delayMs)}"#)
    }

    /// Injects `times` faults on `endpoint` (e.g. a delay on `status`).
    func fault(_ endpoint: String, _ fault: String, delayMs: Int = 0, times: Int = 1) async throws {
        try await post(
            "/_sandbox/faults",
            json: #"{"endpoint":"\#(endpoint)","fault":"\#(fault)","delayMs":\#(delayMs),"times":\#(times)}"#
        )
    }

    /// Successful code exchanges so far.
    func successfulExchanges() async throws -> Int {
        let (body, status, _) = try await send(URLRequest(url: url("/_sandbox/stats")))
        guard status == 200,
              let stats = try JSONSerialization.jsonObject(with: body) as? [String: Any],
              let count = stats["successfulExchanges"] as? Int
        else {
            throw TestFailure("no successfulExchanges in the stats (\(status)): \(String(decoding: body, as: UTF8.self))")
        }
        return count
    }

    /// Plays the user in the WebView: loads the bank page at `authUrl`, submits `decision`
    /// (approve / cancel / fail) and returns the redirect's Location, the URL the WebView would be
    /// about to load next (and the one a Universal Link would carry).
    func decide(_ authUrl: URL, _ decision: String) async throws -> URL {
        let (_, pageStatus, _) = try await send(URLRequest(url: authUrl))
        guard pageStatus == 200 else { throw TestFailure("the bank page answered \(pageStatus)") }
        guard let startToken = URLComponents(url: authUrl, resolvingAgainstBaseURL: false)?
            .percentEncodedQueryItems?.first(where: { $0.name == "startToken" })?.value
        else {
            throw TestFailure("no startToken in the auth URL \(authUrl)")
        }
        guard let action = URL(string: "/v1/authentication/start/decision", relativeTo: authUrl)?.absoluteURL else {
            throw TestFailure("no decision URL for \(authUrl)")
        }
        var request = URLRequest(url: action)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "content-type")
        request.httpBody = Data("startToken=\(startToken)&decision=\(decision)".utf8)
        let (_, status, response) = try await send(request)
        guard let location = response.value(forHTTPHeaderField: "location"), let url = URL(string: location) else {
            throw TestFailure("the decision answered \(status) without a redirect")
        }
        return url
    }

    private func url(_ path: String) -> URL {
        URL(string: baseUrl + path)!
    }

    private func post(_ path: String, json: String) async throws {
        var request = URLRequest(url: url(path))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.httpBody = Data(json.utf8)
        let (body, status, _) = try await send(request)
        guard status == 200 else {
            throw TestFailure("POST \(path) answered \(status): \(String(decoding: body, as: UTF8.self))")
        }
    }

    private func send(_ request: URLRequest) async throws -> (Data, Int, HTTPURLResponse) {
        let (body, response) = try await session.data(for: request)
        guard let http = response as? HTTPURLResponse else {
            throw TestFailure("\(request.url?.absoluteString ?? "?") answered without HTTP")
        }
        return (body, http.statusCode, http)
    }
}

/// Keeps redirects as answers: the bank's redirect goes to the app's Universal Link, which the
/// test hands to the controller instead of fetching it.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping @Sendable (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
