// Revocation (RFC 7009) and sign-out through the Swift bindings, against the sandbox's OIDC
// side: OidcClient.signOut revokes the refresh token, then the access token, forgets the tokens
// (memory and storage) even when the provider fails, says what happened to each token, and
// builds the RP-initiated logout URL (a Secret: it carries the ID token).
// The port of bindings/kotlin/test/dev/obauth/test/SignOutTests.kt.

import Foundation
import XCTest
@testable import ObAuth

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

private func signOutConfig(_ sandbox: Sandbox) -> PkceConfig {
    PkceConfig(issuer: sandbox.issuer, clientId: sandbox.publicClientId)
}

private func signedIn(_ oidc: OidcClient, _ sandbox: Sandbox) async throws -> TokenSet {
    let flow = try await oidc.pkceFlow(
        config: signOutConfig(sandbox),
        params: AuthorizationParams(redirectUri: PKCE_REDIRECT, scope: "openid offline_access")
    )
    flow.start()
    let location = try await sandbox.consent(try authorizeUrl(flow), "approve")
    XCTAssertEqual(flow.handleRedirect(url: location), .codeAccepted, "redirect")
    let tokens = try await flow.awaitTokens().seen()
    XCTAssertNotNil(tokens.refreshToken, "no refresh token")
    XCTAssertNotNil(tokens.idToken, "no ID token")
    return tokens
}

/// Answers redirects with themselves instead of following them.
private final class NoRedirects: NSObject, URLSessionTaskDelegate {
    func urlSession(
        _ session: URLSession,
        task: URLSessionTask,
        willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest,
        completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}

final class SignOutTests: ObAuthTestCase {
    /// signOut revokes the refresh token, then the access token, clears the storage and builds
    /// the logout URL; the sandbox sends the user back with the state.
    func testSignOutRevokesBothTokensClearsStorageAndBuildsTheLogoutUrl() async throws {
        try await withSandbox { sandbox in
            let oidc = try OidcClient()
            let tokens = try await signedIn(oidc, sandbox)
            let manager = try await oidc.pkceTokens(config: signOutConfig(sandbox), tokens: tokens)
            let keychain = Keychain()
            try manager.persistTo(storage: keychain, key: "tokens")
            XCTAssertNotNil(try keychain.load(key: "tokens"), "persisted")
            let revocations = try await sandbox.stat("revocationRequests")

            let outcome = try await oidc.signOut(
                config: signOutConfig(sandbox),
                tokens: manager,
                params: SignOutParams(endSession: true, postLogoutRedirectUri: PKCE_REDIRECT, state: "sw-bye")
            )
            XCTAssertEqual(outcome.refreshToken, .revoked, "refresh token")
            XCTAssertEqual(outcome.accessToken, .revoked, "access token")
            XCTAssertNil(outcome.storageError, "storage")
            let after = try await sandbox.stat("revocationRequests")
            XCTAssertEqual(after, revocations + 2, "revocation requests")
            XCTAssertNil(try keychain.load(key: "tokens"), "stored tokens removed")
            XCTAssertNil(manager.current(), "tokens in memory")
            let reauth = try await expectObAuthError("a token after sign-out") { try await manager.freshToken().seen() }
            XCTAssertEqual(reauth.code, "invalid_grant", "code")
            _ = try await expectObAuthError("the revoked refresh token") {
                try await oidc.pkceTokens(config: signOutConfig(sandbox), tokens: tokens).forceRenewal().seen()
            }

            let logout = try unwrap(outcome.endSessionUrl, "logout URL").expose()
            let idToken = try unwrap(tokens.idToken, "ID token").expose()
            XCTAssertFalse(String(describing: outcome).contains(idToken), "description shows the ID token")
            XCTAssertEqual(queryParam(logout, "id_token_hint"), idToken, "id_token_hint")
            let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
            let (_, response) = try await session.data(from: try unwrap(URL(string: logout), "URL"))
            let http = try unwrap(response as? HTTPURLResponse, "HTTP response")
            XCTAssertEqual(http.statusCode, 302, "logout answer")
            let back = try unwrap(http.value(forHTTPHeaderField: "Location"), "Location")
            XCTAssertTrue(back.hasPrefix(PKCE_REDIRECT), "sent back to \(back)")
            XCTAssertEqual(queryParam(back, "state"), "sw-bye", "state")

            // Revoking one token by hand; an empty token is refused before anything is sent.
            let other = try await signedIn(oidc, sandbox)
            try await oidc.revoke(
                config: signOutConfig(sandbox),
                token: try unwrap(other.refreshToken, "refresh token"),
                hint: .refreshToken
            )
            let before = try await sandbox.stat("revocationRequests")
            let empty = try await expectObAuthError("an empty token") {
                try await oidc.revoke(config: signOutConfig(sandbox), token: Secret(""), hint: .accessToken)
            }
            XCTAssertEqual(caseName(empty), "InvalidInput", "case")
            try await assertEqual(await sandbox.stat("revocationRequests"), before, "nothing sent for an empty token")
        }
    }

    /// A failed revocation is reported and the tokens are forgotten anyway.
    func testAFailedRevocationIsReportedAndTheTokensAreForgottenAnyway() async throws {
        try await withSandbox { sandbox in
            let oidc = try OidcClient()
            let manager = try await oidc.pkceTokens(
                config: signOutConfig(sandbox),
                tokens: try await signedIn(oidc, sandbox)
            )
            try await sandbox.fault("revocation", "server_error")
            let outcome = try await oidc.signOut(config: signOutConfig(sandbox), tokens: manager)
            guard case let .failed(error) = outcome.refreshToken else {
                return XCTFail("expected failed, got \(outcome.refreshToken)")
            }
            XCTAssertEqual(caseName(error), "RetryLater", "a 5xx is worth retrying")
            XCTAssertEqual(outcome.accessToken, .revoked, "access token")
            XCTAssertNil(outcome.endSessionUrl, "no logout URL unless asked")
            XCTAssertNil(manager.current(), "forgotten anyway")
        }
    }
}
