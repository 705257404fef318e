// The host transport (HttpTransport, URLSessionTransport): the only HTTP client of the
// platform-networking flavour, optional in the default one. Every other test runs against both
// flavours (bindings/scripts/test-swift.sh, OBAUTH_FLAVOUR); these check what is specific to the
// seam: what the core hands the host, and the flavour without one. The Swift port of
// bindings/kotlin/test/dev/obauth/test/TransportTests.kt.

import Foundation
import XCTest
@testable import ObAuth

/// Hands every request to URLSessionTransport after recording it.
final class RecordingTransport: HttpTransport, Sendable {
    let requests = Recorder<HttpTransportRequest>()
    private let inner = URLSessionTransport()

    func send(request: HttpTransportRequest, completion: HttpCompletion) throws {
        requests.append(request)
        try inner.send(request: request, completion: completion)
    }
}

final class TransportTests: ObAuthTestCase {
    /// A host transport gets what the core decided (method, URL, time-out, content type, the
    /// partner credentials), and printing its requests shows no secret.
    func testHostTransportSendsWhatTheCoreDecidedAndPrintsNoSecret() async throws {
        try await withSandbox { sandbox in
            let recording = RecordingTransport()
            setHttpTransport(transport: recording)
            defer { restoreFlavourTransport() }
            let login = try supervisedLogin(try sandboxClient(sandbox), uniqueUser("transport"))
            login.start()
            _ = try await awaitingUser(login)
            login.cancel()
            let seen = recording.requests.all
            let first = try XCTUnwrap(seen.first, "no request went through the host transport")
            XCTAssertEqual(first.method, "POST", "method of the initialize request")
            XCTAssertTrue(first.url.hasPrefix(sandbox.baseUrl), "url \(first.url)")
            XCTAssertGreaterThan(first.timeoutMs, 0, "time-out")
            XCTAssertTrue(first.headers.contains { $0.name == "content-type" }, "content-type with the body")
            let carriesSecret = seen.contains { request in
                request.headers.contains { $0.value.expose().contains(sandbox.clientSecret) }
                    || (request.body?.expose().contains(sandbox.clientSecret) ?? false)
            }
            XCTAssertTrue(carriesSecret, "expected the partner credentials on a request")
            XCTAssertFalse("\(seen)".contains(sandbox.clientSecret), "a printed request showed the client secret")
        }
    }

    /// The platform-networking flavour has no HTTP client: without a transport, building a
    /// client fails with InvalidInput on `httpTransport` (the default flavour falls back to its
    /// built-in client).
    func testWithoutATransportOnlyTheDefaultFlavourBuildsAClient() async throws {
        try await withSandbox { sandbox in
            clearHttpTransport()
            defer { restoreFlavourTransport() }
            if isPlatformFlavour {
                let error = try expectObAuthErrorSync("a client without a transport") { try sandboxClient(sandbox) }
                XCTAssertEqual(invalidInputField(error), "httpTransport", "field")
            } else {
                _ = try sandboxClient(sandbox)
            }
        }
    }
}
