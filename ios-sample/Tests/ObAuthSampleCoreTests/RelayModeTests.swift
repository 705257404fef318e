// The sample in relay mode, its default: the controller signs in through a real `obauth relay`
// (started by bindings/scripts/test-swift.sh) in front of the sandbox, with app tokens only. The
// script mints the tokens (Foundation on Linux has no HMAC): OBAUTH_RELAY_URLS,
// OBAUTH_RELAY_TOKENS. Mirrors android-sample/jvm-test/.../RelayTests.kt.

import Foundation
import ObAuth
import ObAuthSampleCore
import XCTest

/// The relay of this run and a minted token of `kind` for `subject`.
private func relayUrlAndToken(_ subject: String, _ kind: String) throws -> (String, String) {
    let env = ProcessInfo.processInfo.environment
    guard let url = env["OBAUTH_RELAY_URLS"]?.split(separator: " ").first.map(String.init),
          let json = env["OBAUTH_RELAY_TOKENS"],
          let tokens = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: String]],
          let token = tokens[subject]?[kind]
    else { throw TestFailure("no relay or no minted \(kind) for \(subject) (bindings/scripts/test-swift.sh)") }
    return (url, token)
}

final class RelayModeTests: XCTestCase {
    /// The sample's default configuration, pointed at this run's relay, without partner secrets.
    private func config(_ relayUrl: String, _ appTokens: any AppTokenProvider) -> SampleConfig {
        SampleConfig(
            clientSecret: Secret(""),
            externalAppHosts: [bankAppHost],
            relayUrl: relayUrl,
            appTokens: appTokens
        )
    }

    func testRelayIsTheDefaultAndNoSecretOrUserHashLeavesTheDevice() {
        let config = SampleConfig()
        XCTAssertTrue(config.usesRelay, "the default is partner mode")
        XCTAssertEqual(config.relayUrl, SampleConfig.defaultRelayUrl)
        XCTAssertEqual(config.loginParams.userHash, "", "userHash sent in relay mode")
        let withToken = SampleConfig.fromInfo("", relayUrl: "https://relay.example.com", appToken: "eyJ.secret-app-token")
        XCTAssertEqual(withToken.relayUrl, "https://relay.example.com")
        var dumped = ""
        dump(withToken, to: &dumped)
        for text in ["\(withToken)", String(reflecting: withToken), dumped] {
            XCTAssertFalse(text.contains("secret-app-token"), text)
        }
        XCTAssertEqual(SampleConfig.fromInfo("", relayUrl: "", appToken: "").relayUrl, SampleConfig.defaultRelayUrl)
    }

    @MainActor
    func testRelaySignsInByPollThroughTheAppsRelay() async throws {
        let h = try Harness()
        let (relay, token) = try relayUrlAndToken("sample-relay-poll", "valid")
        let (_, userHash) = try relayUrlAndToken("sample-relay-poll", "userHash")
        try await h.sandbox.script(userHash, "approve", delayMs: 200)
        let before = try await h.sandbox.successfulExchanges()
        let app = SampleApp(config(relay, FixedAppToken(Secret(token))))
        defer { app.finish() }

        app.controller.signIn()
        let success = try await app.awaitSuccess("signed in")
        XCTAssertGreaterThan(success.sessionExpires, Date(), "session already expired")
        let after = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(after, before + 1, "exchanges")
    }

    @MainActor
    func testRelayRefusedAppTokenEndsInSignInAgainWithoutAnExchange() async throws {
        let h = try Harness()
        let (relay, forged) = try relayUrlAndToken("sample-relay-refused", "wrongSignature")
        let before = try await h.sandbox.successfulExchanges()
        let app = SampleApp(config(relay, FixedAppToken(Secret(forged))))
        defer { app.finish() }

        app.controller.signIn()
        let error = try await app.awaitError("refused")
        XCTAssertEqual(error.category, .reauthenticate, "category")
        XCTAssertEqual(error.code, "app_token_rejected", "code")
        XCTAssertEqual(error.retryLabel, "Sign in again", "retry label")
        XCTAssertFalse("\(error)".contains(forged), "the app token is on screen")
        let after = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(after, before, "exchanges")
    }

    @MainActor
    func testRelayWithoutAnAppTokenEndsInSignInAgain() async throws {
        let h = try Harness()
        let (relay, _) = try relayUrlAndToken("sample-relay-refused", "valid")
        let before = try await h.sandbox.successfulExchanges()
        let app = SampleApp(config(relay, NoAppToken()))
        defer { app.finish() }

        app.controller.signIn()
        let error = try await app.awaitError("no token")
        XCTAssertEqual(error.category, .reauthenticate, "category")
        XCTAssertEqual(error.code, "app_token_rejected", "code")
        let after = try await h.sandbox.successfulExchanges()
        XCTAssertEqual(after, before, "exchanges")
    }
}
