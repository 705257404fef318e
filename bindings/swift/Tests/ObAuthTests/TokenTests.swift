// Token sets and TokenManager through the Swift bindings, against the sandbox: client
// credentials (post with a token URL, basic through discovery), the fresh-token call with
// single-flight renewal, forceRenewal and a revoked grant, supervised-session tokens with a
// sliding expiry, and persistTo with host storage.
// The port of bindings/kotlin/test/dev/obauth/test/TokenTests.kt.

import Foundation
import XCTest
@testable import ObAuth

private func credentials(
    _ sandbox: Sandbox,
    _ auth: ClientAuth,
    tokenUrl: String? = nil,
    issuer: String? = nil,
    secret: String? = nil,
    scope: String? = nil
) -> ClientCredentialsConfig {
    ClientCredentialsConfig(
        clientId: sandbox.clientId,
        clientSecret: Secret(secret ?? sandbox.clientSecret),
        clientAuth: auth,
        tokenUrl: tokenUrl,
        issuer: issuer,
        scope: scope
    )
}

final class TokenTests: ObAuthTestCase {
    /// Client credentials, post with a token URL; the token is reused until it nears expiry.
    func testClientCredentialsPostWithTokenUrlTokenReusedUntilExpiry() async throws {
        try await withSandbox { sandbox in
            let grants = try await sandbox.stat("clientCredentialsGrants")
            let posts = try await sandbox.stat("clientSecretPostRequests")
            let manager = try await OidcClient().clientCredentials(config: credentials(
                sandbox, .post, tokenUrl: "\(sandbox.baseUrl)/connect/token", scope: "banking.ais.read"
            ))
            XCTAssertNil(manager.current(), "current() before the first token")
            let token = try await manager.freshToken().seen()
            XCTAssertFalse(token.accessToken.expose().isEmpty, "empty access token")
            XCTAssertNil(token.refreshToken, "refresh token (client credentials have none)")
            XCTAssertEqual(token.scope, "banking.ais.read", "scope")
            let expiresAt = try unwrap(token.expiresAt, "expiresAt")
            XCTAssertGreaterThan(expiresAt, Date().addingTimeInterval(600), "expiresAt")
            let second = try await manager.freshToken().seen()
            XCTAssertEqual(second, token, "the second freshToken()")
            XCTAssertEqual(manager.renewals(), 1, "renewals")
            try await assertEqual(await sandbox.stat("clientCredentialsGrants"), grants + 1, "client-credentials grants")
            try await assertEqual(await sandbox.stat("clientSecretPostRequests"), posts + 1, "client_secret_post requests")
            try await assertEqual(await sandbox.lastTokenAuthMethod(), "client_secret_post", "authMethod")
        }
    }

    /// Client credentials, basic with an issuer (discovery); a wrong secret is Fatal; a token
    /// URL and an issuer together are refused.
    func testClientCredentialsBasicWithIssuerWrongSecretIsFatal() async throws {
        try await withSandbox { sandbox in
            let oidc = try OidcClient()
            let basic = try await sandbox.stat("clientSecretBasicRequests")
            let manager = try await oidc.clientCredentials(config: credentials(sandbox, .basic, issuer: sandbox.issuer))
            let token = try await manager.freshToken().seen()
            XCTAssertFalse(token.accessToken.expose().isEmpty, "empty access token")
            try await assertEqual(await sandbox.stat("clientSecretBasicRequests"), basic + 1, "client_secret_basic requests")
            try await assertEqual(await sandbox.lastTokenAuthMethod(), "client_secret_basic", "authMethod")

            let wrong = try await oidc.clientCredentials(
                config: credentials(sandbox, .basic, issuer: sandbox.issuer, secret: "not-the-secret")
            )
            let error = try await expectObAuthError("freshToken with a wrong secret") { try await wrong.freshToken().seen() }
            guard case .Fatal = error else { return XCTFail("expected Fatal, got \(error)") }
            XCTAssertEqual(error.code, "bad_client_credentials", "code")
            XCTAssertFalse(String(reflecting: error).contains("not-the-secret"), "the secret leaked into \(error)")

            let both = try await expectObAuthError("token URL and issuer") {
                try await oidc.clientCredentials(config: credentials(
                    sandbox, .post, tokenUrl: "\(sandbox.baseUrl)/connect/token", issuer: sandbox.issuer
                ))
            }
            XCTAssertEqual(invalidInputField(both), "tokenUrl", "field")
        }
    }

    /// The fresh-token call: the current token until expiry; forceRenewal refreshes once.
    func testFreshTokenCurrentUntilExpiryForceRenewalRefreshesOnce() async throws {
        try await withSandbox { sandbox in
            let tokens = try await signInByConnect(sandbox, try sandboxClient(sandbox))
            let manager = try sandboxClient(sandbox).connectTokens(tokens: tokens, skewMs: 60_000)
            let fresh = try await manager.freshToken().seen()
            assertSameTokens(fresh, tokens, "fresh token well before expiry")
            XCTAssertEqual(manager.renewals(), 0, "renewals before forceRenewal")
            let grants = try await sandbox.stat("refreshGrants")
            let renewed = try await manager.forceRenewal().seen()
            XCTAssertNotEqual(renewed.accessToken, tokens.accessToken, "forceRenewal kept the access token")
            try await assertEqual(await sandbox.stat("refreshGrants"), grants + 1, "refresh grants at the sandbox")
            XCTAssertEqual(manager.renewals(), 1, "renewals")
            XCTAssertEqual(renewed.consentId, tokens.consentId, "consentId kept across the refresh")
            XCTAssertEqual(manager.current(), renewed, "current()")
            let afterRenewal = try await manager.freshToken().seen()
            XCTAssertEqual(afterRenewal.accessToken, renewed.accessToken, "freshToken() after the renewal")
        }
    }

    /// The fresh-token call: concurrent freshToken() callers share one renewal.
    func testFreshTokenConcurrentCallersShareOneRenewal() async throws {
        try await withSandbox { sandbox in
            let tokens = try await signInByConnect(sandbox, try sandboxClient(sandbox))
            // Held tokens that have already expired: every caller needs a renewal.
            var expired = tokens
            expired.expiresAt = Date().addingTimeInterval(-5)
            let manager = try sandboxClient(sandbox).connectTokens(tokens: expired)
            let grants = try await sandbox.stat("refreshGrants")
            let results = try await withThrowingTaskGroup(of: TokenSet.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await manager.freshToken().seen() }
                }
                var results: [TokenSet] = []
                for try await token in group { results.append(token) }
                return results
            }
            XCTAssertEqual(results.count, 8, "answers")
            XCTAssertEqual(Set(results.map(\.accessToken)).count, 1, "distinct tokens handed out")
            XCTAssertNotEqual(results.first?.accessToken, tokens.accessToken, "the expired token was handed out")
            XCTAssertEqual(manager.renewals(), 1, "renewals")
            try await assertEqual(await sandbox.stat("refreshGrants"), grants + 1, "refresh grants at the sandbox")
        }
    }

    /// The fresh-token call: a revoked refresh token is Reauthenticate / invalid_grant, and the
    /// stored tokens are cleared.
    func testFreshTokenRevokedRefreshTokenIsReauthenticateStorageCleared() async throws {
        try await withSandbox { sandbox in
            let tokens = try await signInByConnect(sandbox, try sandboxClient(sandbox))
            let manager = try sandboxClient(sandbox).connectTokens(tokens: tokens)
            let storage = MemoryStorage()
            try manager.persistTo(storage: storage, key: "obauth.tokens")
            let saved = try tokenSetFromJson(json: try unwrap(storage.values["obauth.tokens"], "saved tokens"))
            assertSameTokens(saved, tokens, "saved tokens")
            let revoked = try await sandbox.revokeRefreshTokens()
            XCTAssertGreaterThanOrEqual(revoked, 1, "nothing revoked")
            let error = try await expectObAuthError("forceRenewal after revocation") { try await manager.forceRenewal().seen() }
            XCTAssertEqual(caseName(error), "Reauthenticate", "case")
            assertCategoryAndCode(error, .reauthenticate, "invalid_grant")
            let again = try await expectObAuthError("freshToken after invalid_grant") { try await manager.freshToken().seen() }
            XCTAssertEqual(caseName(again), "Reauthenticate", "case of the later call")
            XCTAssertEqual(again.code, "invalid_grant", "code of the later call")
            XCTAssertNil(manager.current(), "current() after invalid_grant")
            XCTAssertNil(storage.values["obauth.tokens"], "stored tokens after invalid_grant")
        }
    }

    /// Session tokens: sliding expiry via applyExpiryHeader, session_expired after it.
    func testSessionTokensSlidingExpiryViaApplyExpiryHeaderSessionExpiredAfterIt() async throws {
        try await withSandbox { sandbox in
            let now = nowWholeSeconds()
            let supervised = SupervisedTokens(
                accessToken: Secret("session-access-token"),
                accessTokenExpires: now.addingTimeInterval(600),
                loginToken: Secret("login-token"),
                loginTokenExpires: now.addingTimeInterval(86_400),
                providerId: "DemoBank",
                supportsUnattended: true,
                label: nil,
                subjectId: nil,
                completedVia: .poll
            )
            let manager = try sandboxClient(sandbox).sessionTokens(supervisedTokens: supervised)
            let fresh = try await manager.freshToken().seen()
            XCTAssertEqual(fresh.accessToken.expose(), "session-access-token", "session token")
            XCTAssertEqual(fresh.expiresAt, supervised.accessTokenExpires, "expiry")
            let slid = try manager.applyExpiryHeader(value: "2031-01-02T03:04:05.1230000Z")
            // 2031-01-02T03:04:05.123Z
            XCTAssertEqual(slid.timeIntervalSince1970, 1_925_089_445.123, accuracy: 0.000_01, "new expiry")
            XCTAssertEqual(manager.current()?.expiresAt, slid, "current().expiresAt")
            let bad = try expectObAuthErrorSync("malformed header") { try manager.applyExpiryHeader(value: "tomorrow") }
            XCTAssertEqual(caseName(bad), "Fatal", "case")
            XCTAssertEqual(bad.code, "malformed_response", "code")
            XCTAssertEqual(manager.current()?.expiresAt, slid, "expiry after a malformed header")
            _ = try manager.applyExpiryHeader(value: "2020-01-01T00:00:00Z")
            let expired = try await expectObAuthError("freshToken after expiry") { try await manager.freshToken().seen() }
            XCTAssertEqual(caseName(expired), "Reauthenticate", "case")
            XCTAssertEqual(expired.code, "session_expired", "code")
            XCTAssertEqual(manager.renewals(), 0, "renewals (sessions never renew)")
        }
    }

    /// TokenManager.persistTo: the saved JSON reads back; a throwing storage is a typed error.
    func testTokenManagerPersistToSavedJsonReadsBackThrowingStorageIsTypedError() async throws {
        try await withSandbox { sandbox in
            let tokens = TokenSet(
                accessToken: Secret("at-123"),
                expiresAt: nowWholeSeconds().addingTimeInterval(3600),
                refreshToken: Secret("rt-456"),
                scope: "accounts offline_access",
                consentId: "consent-1"
            )
            XCTAssertEqual(try tokenSetFromJson(json: try tokenSetToJson(tokens: tokens)), tokens, "JSON round trip")
            let storage = MemoryStorage()
            try sandboxClient(sandbox).connectTokens(tokens: tokens).persistTo(storage: storage, key: "k")
            XCTAssertEqual(storage.values["k"], try tokenSetToJson(tokens: tokens), "saved value")

            let untyped = try expectObAuthErrorSync("persistTo with a throwing storage") {
                try sandboxClient(sandbox).connectTokens(tokens: tokens)
                    .persistTo(storage: FailingStorage { HostFailure("keystore locked") }, key: "k")
            }
            assertCategoryAndCode(untyped, .retryLater, "storage")
            XCTAssertTrue(untyped.detail.contains("keystore locked"), "detail: \(untyped.detail)")
            let typed = try expectObAuthErrorSync("persistTo with a storage throwing ObAuthError") {
                try sandboxClient(sandbox).connectTokens(tokens: tokens).persistTo(
                    storage: FailingStorage { ObAuthError.Fatal(code: "keystore", detail: "user not authenticated", correlationId: nil) },
                    key: "k"
                )
            }
            XCTAssertEqual(caseName(typed), "RetryLater", "case")
            XCTAssertEqual(typed.code, "storage", "code")
            XCTAssertTrue(typed.detail.contains("user not authenticated"), "detail: \(typed.detail)")
            let notJson = try expectObAuthErrorSync("tokenSetFromJson of garbage") { try tokenSetFromJson(json: "nope") }
            XCTAssertEqual(caseName(notJson), "InvalidInput", "case")
            XCTAssertEqual(notJson.code, "invalid_snapshot", "code")
        }
    }

    /// A Date handed to the core keeps its milliseconds (the core's precision): a TokenSet
    /// given to a TokenManager or saved as JSON comes back equal.
    ///
    /// Regression: the generated `FfiConverterTimestamp.write` computes the nanoseconds in
    /// floating point and truncates (.123 s -> 122 999 999 ns); the core used to floor that to
    /// .122. `Timestamp::from_system_time` now rounds to the nearest millisecond.
    func testTimestampsHandedToTheCoreKeepTheirMilliseconds() async throws {
        try await bounded {
            // Milliseconds since the epoch; Dates built as the generated lifting builds them.
            let samples: [Int64] = [1_925_089_445_123, 1_925_089_445_001, 1_925_089_445_500, 1_925_089_445_999]
            var arrived: [(sent: Int64, got: Int64?)] = []
            for ms in samples {
                let date = Date(timeIntervalSince1970: Double(ms / 1000)).addingTimeInterval(Double(ms % 1000) / 1000)
                let json = try tokenSetToJson(tokens: TokenSet(accessToken: Secret("at"), expiresAt: date))
                let back = try tokenSetFromJson(json: json).expiresAt
                arrived.append((ms, back.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }))
            }
            let lost = arrived.filter { $0.got != $0.sent }
            XCTAssertEqual(lost.map(\.sent), [], "milliseconds lost on the way to the core")
            let expiry = Date(timeIntervalSince1970: 1_925_089_445).addingTimeInterval(0.123)
            let tokens = TokenSet(accessToken: Secret("at"), expiresAt: expiry, refreshToken: Secret("rt"))
            let manager = try sandboxClient(try sandbox()).connectTokens(tokens: tokens)
            let fresh = try await manager.freshToken().seen()
            XCTAssertEqual(fresh, tokens, "the TokenSet handed to the TokenManager")
        }
    }
}
