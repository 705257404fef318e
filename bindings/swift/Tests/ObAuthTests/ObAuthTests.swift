// XCTest smoke tests for the Swift layer that need no network (no sandbox): `swift test` on
// Linux through bindings/scripts/test-swift.sh, or on a Mac with the XCFramework built
// (bindings/scripts/build-xcframework.sh). The sandbox suites are LoginTests, PersistenceTests,
// AuthorizationTests, TokenTests and QuickStartTests.

import XCTest
@testable import ObAuth

/// The first state of `states`, then `cancel()`, and the last state before the stream finished.
private func firstAndLastStates<State: Sendable>(
    _ states: AsyncStream<State>,
    cancellingAfterTheFirst cancel: () -> Void
) async -> (first: State?, last: State?) {
    var iterator = states.makeAsyncIterator()
    let first = await iterator.next()
    cancel()
    var last: State?
    while let state = await iterator.next() { last = state }
    return (first, last)
}

/// The navigation policy of a flow of `offlineClient()` before it started, asked through
/// `WebViewFlow`: the bank's web host loads, its app host opens outside, `javascript:` is
/// blocked, and `redirect` (the flow's) is intercepted but ignored, nothing being awaited yet.
private func assertPolicyBeforeStart(
    _ flow: any WebViewFlow,
    redirect: String,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertEqual(flow.decideNavigation(url: "https://bank.example.com/"), .allow, file: file, line: line)
    XCTAssertEqual(flow.decideNavigation(url: "https://mobilebank.example.com/a"), .openExternally, file: file, line: line)
    XCTAssertEqual(flow.decideNavigation(url: "javascript:alert(1)"), .block, file: file, line: line)
    XCTAssertEqual(
        flow.decideNavigation(url: redirect),
        .intercept(outcome: .ignored(reason: .notWaitingForRedirect)),
        file: file,
        line: line
    )
}

final class ObAuthTests: ObAuthTestCase {
    func testInvalidConfigurationNamesTheField() {
        XCTAssertThrowsError(
            try ObAuthClient(config: ClientConfig(
                apiUrl: "http://api.example.com",
                clientId: "id",
                clientSecret: Secret("secret")
            ))
        ) { error in
            guard let error = error as? ObAuthError, case let .InvalidInput(field, _, _, _) = error else {
                return XCTFail("expected ObAuthError.InvalidInput, got \(error)")
            }
            XCTAssertEqual(field, "apiUrl")
            XCTAssertEqual(error.category, .invalidInput)
        }
    }

    func testNavigationPolicyBeforeStart() throws {
        let login = try offlineClient().supervisedLogin(params: SupervisedLoginParams(
            userHash: "swift-test-user",
            redirectUrl: "https://app.example.com/aiia/callback"
        ))
        assertPolicyBeforeStart(login, redirect: "https://app.example.com/aiia/callback?code=x")
    }

    func testStatesStreamStartsWithTheCurrentState() async throws {
        try await bounded {
            let client = try ObAuthClient(config: ClientConfig(
                apiUrl: "https://api.example.com",
                clientId: "id",
                clientSecret: Secret("secret")
            ))
            let login = try client.supervisedLogin(params: SupervisedLoginParams(
                userHash: "swift-test-user",
                redirectUrl: "https://app.example.com/aiia/callback"
            ))
            let (first, last) = await firstAndLastStates(login.states(), cancellingAfterTheFirst: login.cancel)
            XCTAssertEqual(first, .created)
            XCTAssertEqual(last, .cancelled(by: .host))
        }
    }

    // --- authorization-code flows and tokens (no network needed) ---------------------------

    func testConnectFlowNavigationPolicyThroughWebViewFlow() throws {
        let flow = try offlineConnectFlow()
        assertPolicyBeforeStart(flow, redirect: "https://app.example.com/aiia-callback/x?code=c&state=s")
        flow.start()
        guard case let .awaitingUser(authorizeUrl) = flow.state() else {
            return XCTFail("expected awaitingUser, got \(flow.state())")
        }
        XCTAssertTrue(authorizeUrl.hasPrefix("https://api.example.com/v1/oauth/connect?"))
        guard case let .intercept(outcome) = flow.decideNavigation(
            url: "https://app.example.com/aiia-callback/connect?code=c&state=forged"
        ), case let .rejected(error) = outcome else {
            return XCTFail("a forged redirect must be intercepted and rejected")
        }
        XCTAssertEqual(error.code, "state_mismatch")
        XCTAssertEqual(error.category, .fatal)
        flow.cancel()
    }

    func testAuthorizationStatesStreamEndsWithCancelled() async throws {
        try await bounded {
            let flow = try offlineConnectFlow()
            let (first, last) = await firstAndLastStates(flow.states(), cancellingAfterTheFirst: flow.cancel)
            XCTAssertEqual(first, .created)
            XCTAssertEqual(last, .cancelled(by: .host))
            XCTAssertEqual(last?.isTerminal, true)
        }
    }

    func testTokenManagerWithoutNetwork() async throws {
        try await bounded {
            let expiry = Date(timeIntervalSinceNow: 3600)
            let tokens = TokenSet(accessToken: Secret("at"), expiresAt: expiry, refreshToken: Secret("rt"))
            let manager = try offlineClient().connectTokens(tokens: tokens)
            let fresh = try await manager.freshToken().seen()
            XCTAssertEqual(fresh.accessToken.expose(), "at")
            XCTAssertEqual(manager.renewals(), 0)
            let stored = try tokenSetToJson(tokens: tokens)
            XCTAssertEqual(try tokenSetFromJson(json: stored).accessToken.expose(), "at")
            XCTAssertThrowsError(try manager.persistTo(storage: BrokenStorage(), key: "k")) { error in
                XCTAssertEqual((error as? ObAuthError)?.category, .retryLater)
                XCTAssertEqual((error as? ObAuthError)?.code, "storage")
            }
        }
    }

    func testClientCredentialsInputIsValidatedFirst() async throws {
        try await bounded {
            let oidc = try OidcClient()
            do {
                _ = try await oidc.clientCredentials(config: ClientCredentialsConfig(
                    clientId: "id",
                    clientSecret: Secret("secret"),
                    clientAuth: .basic,
                    tokenUrl: "https://id.example.com/connect/token",
                    issuer: "https://id.example.com"
                ))
                XCTFail("a token URL and an issuer together must be refused")
            } catch let error as ObAuthError {
                guard case let .InvalidInput(field, _, _, _) = error else {
                    return XCTFail("expected InvalidInput, got \(error)")
                }
                XCTAssertEqual(field, "tokenUrl")
            }
        }
    }
}

/// A client of an API host that is never reached (no request is sent in these tests).
private func offlineClient() throws -> ObAuthClient {
    try ObAuthClient(config: ClientConfig(
        apiUrl: "https://api.example.com",
        clientId: "id",
        clientSecret: Secret("secret"),
        externalAppHosts: ["mobilebank.example.com"],
        webHosts: ["bank.example.com"],
        externalSchemes: ["bankid", "tel"]
    ))
}

private func offlineConnectFlow() throws -> AuthorizationFlow {
    try offlineClient().connectFlow(
        params: AuthorizationParams(
            redirectUri: "https://app.example.com/aiia-callback/connect",
            redirectPattern: "https://app.example.com/aiia-callback/*"
        ),
        accountsGroupName: "swift-group"
    )
}

/// A host storage that always throws, as a locked Keychain would.
final class BrokenStorage: SecureStorage, Sendable {
    struct Locked: Error {}

    func save(key: String, value: String) throws { throw Locked() }
    func load(key: String) throws -> String? { throw Locked() }
    func remove(key: String) throws { throw Locked() }
}
