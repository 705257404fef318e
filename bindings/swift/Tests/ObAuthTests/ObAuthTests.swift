// XCTest smoke tests for the Swift layer, for `swift test` on a Mac with the XCFramework built
// (bindings/scripts/build-xcframework.sh). Here (Linux, no Swift toolchain) they are only
// syntax-checked by bindings/scripts/check-swift.py.

import XCTest
@testable import ObAuth

final class ObAuthTests: XCTestCase {
    func testInvalidConfigurationNamesTheField() {
        XCTAssertThrowsError(
            try ObAuthClient(config: ClientConfig(
                apiUrl: "http://api.example.com",
                clientId: "id",
                clientSecret: "secret"
            ))
        ) { error in
            guard let error = error as? ObAuthError, case let .InvalidInput(field, _, _) = error else {
                return XCTFail("expected ObAuthError.InvalidInput, got \(error)")
            }
            XCTAssertEqual(field, "apiUrl")
            XCTAssertEqual(error.category, .invalidInput)
        }
    }

    func testNavigationPolicyBeforeStart() throws {
        let client = try ObAuthClient(config: ClientConfig(
            apiUrl: "https://api.example.com",
            clientId: "id",
            clientSecret: "secret",
            externalAppHosts: ["mobilebank.example.com"]
        ))
        let login = try client.supervisedLogin(params: SupervisedLoginParams(
            userHash: "swift-test-user",
            redirectUrl: "https://app.example.com/aiia/callback"
        ))
        XCTAssertEqual(login.decideNavigation(url: "https://bank.example.com/"), .allow)
        XCTAssertEqual(login.decideNavigation(url: "https://mobilebank.example.com/a"), .openExternally)
        XCTAssertEqual(login.decideNavigation(url: "javascript:alert(1)"), .block)
        XCTAssertEqual(
            login.decideNavigation(url: "https://app.example.com/aiia/callback?code=x"),
            .intercept(outcome: .ignored(reason: .notWaitingForRedirect))
        )
    }

    func testStatesStreamStartsWithTheCurrentState() async throws {
        let client = try ObAuthClient(config: ClientConfig(
            apiUrl: "https://api.example.com",
            clientId: "id",
            clientSecret: "secret"
        ))
        let login = try client.supervisedLogin(params: SupervisedLoginParams(
            userHash: "swift-test-user",
            redirectUrl: "https://app.example.com/aiia/callback"
        ))
        var iterator = login.states().makeAsyncIterator()
        let first = await iterator.next()
        XCTAssertEqual(first, .created)
        login.cancel()
        var last: LoginState?
        while let state = await iterator.next() { last = state }
        XCTAssertEqual(last, .cancelled(by: .host))
    }
}
