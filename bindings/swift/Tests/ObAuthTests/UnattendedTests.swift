// Unattended login, resumeSession, the connect flow's "start again" and correlation ids through
// the Swift bindings, against the sandbox (the port of
// bindings/kotlin/test/dev/obauth/test/UnattendedTests.kt).

import Foundation
import XCTest
@testable import ObAuth

/// A supervised login by poll for `user`: its tokens.
private func signedIn(_ sandbox: Sandbox, _ client: ObAuthClient, _ user: String) async throws -> SupervisedTokens {
    try await sandbox.script(user, "approve", delayMs: 50)
    let login = try supervisedLogin(client, user)
    login.start()
    let tokens = try await login.awaitTokens().seen()
    let id = try unwrap(login.correlationId(), "a correlation id after start()")
    XCTAssertTrue(id.hasPrefix("|obauth-") && id.hasSuffix("."), "correlation id \(id)")
    return tokens
}

/// The same tokens with a session that expired long ago.
private func expired(_ tokens: SupervisedTokens) -> SupervisedTokens {
    var copy = tokens
    copy.accessTokenExpires = Date(timeIntervalSince1970: 0)
    return copy
}

final class UnattendedTests: ObAuthTestCase {
    /// Unattended login replaces the login token; a spent one is `login_token_rejected`.
    func testUnattendedLoginReplacesTheLoginTokenASpentOneIsRejected() async throws {
        try await withSandboxClient { sandbox, client in
            let user = uniqueUser("unatt")
            let first = try await signedIn(sandbox, client, user)
            let second = try await client.unattendedLogin(userHash: user, loginToken: first.loginToken)
            XCTAssertEqual(second.completedVia, .unattended, "completedVia")
            XCTAssertNotEqual(second.loginToken.expose(), first.loginToken.expose(), "replaced")
            XCTAssertFalse("\(second)".contains(second.loginToken.expose()), "tokens printed")
            let error = try await expectObAuthError("the spent login token") {
                try await client.unattendedLogin(userHash: user, loginToken: first.loginToken)
            }
            XCTAssertEqual(caseName(error), "Reauthenticate")
            XCTAssertEqual(error.code, "login_token_rejected")
            XCTAssertFalse("\(error)".contains(first.loginToken.expose()), "the login token is in the error")
            let bad = try await expectObAuthError("a bad userHash") {
                try await client.unattendedLogin(userHash: "no", loginToken: second.loginToken)
            }
            XCTAssertEqual(invalidInputField(bad), "userHash")
        }
    }

    /// resumeSession: current, renewed, then the reasons a supervised login is required.
    func testResumeSessionCurrentRenewedSupervisedLoginRequired() async throws {
        try await withSandboxClient { sandbox, client in
            let user = uniqueUser("resume")
            let tokens = try await signedIn(sandbox, client, user)
            guard case let .current(current) = try await client.resumeSession(userHash: user, tokens: tokens) else {
                return XCTFail("not current")
            }
            XCTAssertEqual(current.accessToken.expose(), tokens.accessToken.expose())
            guard case let .renewed(renewed) = try await client.resumeSession(userHash: user, tokens: expired(tokens)) else {
                return XCTFail("not renewed")
            }
            XCTAssertNotEqual(renewed.loginToken.expose(), tokens.loginToken.expose())
            let refused = try await client.resumeSession(userHash: user, tokens: expired(tokens))
            guard case .supervisedLoginRequired(.loginTokenRejected) = refused else {
                return XCTFail("with the spent token: \(refused)")
            }
            try await sandbox.expireLoginTokens()
            let late = try await client.resumeSession(userHash: user, tokens: expired(renewed))
            guard case .supervisedLoginRequired(.loginTokenExpired) = late else {
                return XCTFail("after the provider expired it: \(late)")
            }
            let noUnattended = uniqueUser("nounatt")
            try await sandbox.unattendedSupport(noUnattended, false)
            let other = try await signedIn(sandbox, client, noUnattended)
            XCTAssertFalse(other.supportsUnattended)
            let before = try await sandbox.stat("unattendedRequests")
            let unsupported = try await client.resumeSession(userHash: noUnattended, tokens: expired(other))
            guard case .supervisedLoginRequired(.unattendedNotSupported) = unsupported else {
                return XCTFail("a bank without unattended logins: \(unsupported)")
            }
            try await assertEqual(await sandbox.stat("unattendedRequests"), before, "decided without a request")
        }
    }

    /// resumeStoredSession replaces the stored tokens; nothing stored is NO_STORED_LOGIN.
    func testResumeStoredSessionReplacesTheStoredTokens() async throws {
        try await withSandboxClient { sandbox, client in
            let user = uniqueUser("stored")
            let tokens = try await signedIn(sandbox, client, user)
            let storage = MemoryStorage()
            try storage.save(key: "login", value: supervisedTokensToJson(tokens: expired(tokens)))
            guard case let .renewed(renewed) = try await client.resumeStoredSession(
                storage: storage, key: "login", userHash: user
            ) else { return XCTFail("not renewed") }
            let stored = try supervisedTokensFromJson(json: try unwrap(storage.values["login"], "stored"))
            XCTAssertEqual(stored.loginToken.expose(), renewed.loginToken.expose())
            let nothing = try await client.resumeStoredSession(storage: storage, key: "nothing", userHash: user)
            guard case .supervisedLoginRequired(.noStoredLogin) = nothing else {
                return XCTFail("nothing stored: \(nothing)")
            }
        }
    }

    /// A connect redirect without code ends the flow with `start_again`; a forged one is refused.
    func testConnectRedirectWithoutCodeEndsTheFlowWithStartAgain() async throws {
        try await withSandbox { sandbox in
            try await sandbox.consentScript("return_without_code")
            do {
                let flow = try connectFlow(try sandboxClient(sandbox))
                flow.start()
                let location = try await sandbox.followToApp(try authorizeUrl(flow), CONNECT_REDIRECT)
                XCTAssertNotNil(queryParam(location, "state"), location)
                XCTAssertNil(queryParam(location, "code"), location)
                let forged = replacing("([?&]state=)", in: location, with: "$1x")
                guard case let .rejected(error) = flow.handleRedirect(url: forged) else {
                    throw TestFailure("the forged redirect was not rejected")
                }
                XCTAssertEqual(error.code, "state_mismatch")
                guard case .awaitingUser = flow.state() else { throw TestFailure("the forged redirect ended the flow") }
                guard case let .providerError(outcome) = flow.handleRedirect(url: location) else {
                    throw TestFailure("not a provider error")
                }
                XCTAssertEqual(outcome.code, "start_again")
                XCTAssertEqual(outcome.category, .userAction)
                let e = try await expectObAuthError("awaitTokens") { try await flow.awaitTokens().seen() }
                XCTAssertEqual(caseName(e), "UserAction")
                XCTAssertEqual(e.code, "start_again")
                guard case .failed = flow.state() else { throw TestFailure("state \(flow.state())") }
            } catch {
                try await sandbox.consentScript("page")
                throw error
            }
            try await sandbox.consentScript("page")
        }
    }

    /// Every request of a login carries its correlation id.
    func testEveryRequestOfALoginCarriesItsCorrelationId() async throws {
        try await withSandbox { sandbox in
            let user = uniqueUser("corr")
            try await sandbox.script(user, "approve", delayMs: 50)
            let before = try await sandbox.correlationIds("tokens").count
            let login = try supervisedLogin(try sandboxClient(sandbox), user)
            XCTAssertNil(login.correlationId(), "before start()")
            login.start()
            _ = try await login.awaitTokens().seen()
            let id = try unwrap(login.correlationId(), "correlation id")
            let exchanges = try await sandbox.correlationIds("tokens").dropFirst(before)
            XCTAssertEqual(Array(exchanges), [id], "the exchange's id")
            let initialize = try await sandbox.correlationIds("initialize")
            XCTAssertTrue(initialize.contains(id), "initialize")
            let status = try await sandbox.correlationIds("status")
            XCTAssertTrue(status.contains(id), "status")
        }
    }
}
