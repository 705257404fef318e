// Printing a record that carries a secret never prints the secret. Swift prints a struct's
// fields through reflection (`description`, `String(describing:)`, `String(reflecting:)`,
// `dump()`, string interpolation, `print`), so every secret field (client secret; access,
// refresh, ID and login tokens) has a type that prints "[redacted]", reflects no children, and
// gives its value only through an explicit `expose()`. Each record is built with a known marker
// in every secret field; the marker must not appear however the record is printed. No network.

import XCTest
@testable import ObAuth

/// A secret as the record fields take it.
private func secret(_ value: String) -> Secret { Secret(value) }

/// Every way an app or a crash reporter commonly turns a value into text.
private func printed<T>(_ value: T) -> [String] {
    var dumped = ""
    dump(value, to: &dumped)
    var printedLine = ""
    print(value, to: &printedLine)
    var debugPrinted = ""
    debugPrint(value, to: &debugPrinted)
    let mirrored = Mirror(reflecting: value).children.map { "\($0.label ?? ""): \($0.value)" }.joined(separator: ", ")
    return [
        String(describing: value),
        String(reflecting: value),
        "\(value)",
        dumped,
        printedLine,
        debugPrinted,
        mirrored,
        String(describing: [value]),
        String(reflecting: Optional(value)),
    ]
}

private func assertHidden<T>(
    _ what: String, _ value: T, _ markers: String..., file: StaticString = #filePath, line: UInt = #line
) {
    for text in printed(value) {
        for marker in markers {
            XCTAssertFalse(text.contains(marker), "\(what) printed the secret \(marker): \(text)", file: file, line: line)
        }
    }
}

final class RedactionTests: ObAuthTestCase {
    func testClientConfigPrintsNoClientSecret() {
        let config = ClientConfig(apiUrl: "https://api.example.com", clientId: "id", clientSecret: secret("MARKER-client-secret"))
        assertHidden("ClientConfig", config, "MARKER-client-secret")
        XCTAssertEqual(config.clientSecret.expose(), "MARKER-client-secret", "expose()")
    }

    func testClientCredentialsConfigPrintsNoClientSecret() {
        let config = ClientCredentialsConfig(
            clientId: "id",
            clientSecret: secret("MARKER-cc-secret"),
            clientAuth: .basic,
            issuer: "https://id.example.com"
        )
        assertHidden("ClientCredentialsConfig", config, "MARKER-cc-secret")
        XCTAssertEqual(config.clientSecret.expose(), "MARKER-cc-secret", "expose()")
    }

    func testTokenSetPrintsNoAccessRefreshOrIdToken() {
        let tokens = TokenSet(
            accessToken: secret("MARKER-access"),
            expiresAt: Date(timeIntervalSince1970: 1_900_000_000),
            refreshToken: secret("MARKER-refresh"),
            scope: "accounts",
            idToken: secret("MARKER-id"),
            consentId: "consent"
        )
        assertHidden("TokenSet", tokens, "MARKER-access", "MARKER-refresh", "MARKER-id")
        XCTAssertEqual(tokens.refreshToken?.expose(), "MARKER-refresh", "expose()")
    }

    func testSupervisedTokensPrintNoAccessOrLoginToken() {
        let tokens = SupervisedTokens(
            accessToken: secret("MARKER-session"),
            accessTokenExpires: Date(timeIntervalSince1970: 1_900_000_000),
            loginToken: secret("MARKER-login"),
            loginTokenExpires: Date(timeIntervalSince1970: 1_900_086_400),
            providerId: "DemoBank",
            supportsUnattended: true,
            label: "label",
            subjectId: nil,
            completedVia: .redirect
        )
        assertHidden("SupervisedTokens", tokens, "MARKER-session", "MARKER-login")
        XCTAssertEqual(tokens.loginToken.expose(), "MARKER-login", "expose()")
    }

    func testASecretPrintsRedactedExposesItsValueAndIsEqualByValue() {
        let secret = Secret("MARKER-secret")
        assertHidden("Secret", secret, "MARKER-secret")
        XCTAssertEqual(secret.description, "[redacted]")
        XCTAssertEqual(String(reflecting: secret), "[redacted]")
        XCTAssertEqual(secret.expose(), "MARKER-secret")
        XCTAssertEqual(secret, Secret("MARKER-secret"))
        XCTAssertNotEqual(secret, Secret("other"))
        XCTAssertEqual(Set([secret, Secret("MARKER-secret")]).count, 1, "hashable by value")
    }
}
