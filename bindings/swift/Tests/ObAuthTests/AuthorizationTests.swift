// Authorization-code flows through the Swift bindings, end to end against the sandbox: Aiia
// Data connect (ObAuthClient.connectFlow) and PKCE for a public client (OidcClient.pkceFlow),
// with the sandbox's hosted consent / sign-in pages played like a browser (Sandbox.consent).
// The port of bindings/kotlin/test/dev/obauth/test/AuthorizationTests.kt.

import Foundation
import XCTest
@testable import ObAuth

private func pkceConfig(_ sandbox: Sandbox) -> PkceConfig {
    PkceConfig(issuer: sandbox.issuer, clientId: sandbox.publicClientId)
}

private func pkceParams() -> AuthorizationParams {
    AuthorizationParams(redirectUri: PKCE_REDIRECT, scope: "openid offline_access")
}

final class AuthorizationTests: ObAuthTestCase {
    /// Connect: consent page, redirect through decideNavigation, tokens with the consentId.
    func testConnectConsentPageRedirectThroughDecideNavigationTokensWithConsentId() async throws {
        try await withSandbox { sandbox in
            let exchanges = try await sandbox.stat("oauthCodeExchanges")
            let flow = try connectFlow(try sandboxClient(sandbox))
            XCTAssertEqual(flow.state(), .created, "state before start")
            flow.start()
            let url = try authorizeUrl(flow)
            XCTAssertTrue(url.hasPrefix("\(sandbox.baseUrl)/v1/oauth/connect?"), "authorize URL \(url)")
            XCTAssertEqual(queryParam(url, "accountsGroupName"), "sw-group", "accountsGroupName")
            XCTAssertEqual(flow.decideNavigation(url: url), .allow, "the provider's page")
            let location = try await sandbox.consent(url, "approve")
            XCTAssertTrue(location.hasPrefix(CONNECT_REDIRECT), "unexpected Location \(location)")
            let consentId = try unwrap(queryParam(location, "consentId"), "consentId in \(location)")
            XCTAssertEqual(
                flow.decideNavigation(url: location),
                .intercept(outcome: .codeAccepted),
                "the redirect back to the app"
            )
            let tokens = try await flow.awaitTokens().seen()
            XCTAssertEqual(tokens.consentId, consentId, "consentId")
            XCTAssertFalse(tokens.accessToken.expose().isEmpty, "empty access token")
            XCTAssertNotNil(tokens.refreshToken, "no refresh token")
            XCTAssertEqual(tokens.tokenType.lowercased(), "bearer", "tokenType")
            let expiresAt = try unwrap(tokens.expiresAt, "expiresAt")
            XCTAssertGreaterThan(expiresAt, Date().addingTimeInterval(600), "expiresAt")
            guard case let .authenticated(_, _, stateConsentId, refreshable) = flow.state(),
                  stateConsentId == consentId, refreshable
            else { return XCTFail("state \(shape(flow.state()))") }
            XCTAssertEqual(flow.handleRedirect(url: location), .ignored(reason: .flowFinished), "the same redirect again")
            try await assertEqual(await sandbox.stat("oauthCodeExchanges"), exchanges + 1, "code exchanges at the sandbox")
        }
    }

    /// Connect: a forged state is Rejected(state_mismatch) and nothing is exchanged; the genuine
    /// redirect then completes.
    func testConnectForgedStateIsRejectedNothingExchangedGenuineRedirectCompletes() async throws {
        try await withSandbox { sandbox in
            let flow = try connectFlow(try sandboxClient(sandbox))
            flow.start()
            let genuine = try await sandbox.consent(try authorizeUrl(flow), "approve")
            XCTAssertNotNil(queryParam(genuine, "state"), "no state in \(genuine)")
            let forged = replacing("([?&]state=)[^&]*", in: genuine, with: "$1forged-by-an-attacker")
            XCTAssertNotEqual(forged, genuine, "the state was not replaced")
            var stateless = replacing("[?&]state=[^&]*", in: genuine, with: "")
            if !stateless.contains("?"), let amp = stateless.firstIndex(of: "&") {
                stateless.replaceSubrange(amp...amp, with: "?")
            }
            XCTAssertNil(queryParam(stateless, "state"), "the state was not removed")
            let tokenRequests = try await sandbox.tokenRequestCount()
            let tokenStat = try await sandbox.stat("oauthTokenRequests")

            guard case let .rejected(error) = flow.handleRedirect(url: forged) else {
                return XCTFail("the forged redirect was not rejected")
            }
            XCTAssertEqual(error.code, "state_mismatch", "code")
            XCTAssertEqual(error.category, .fatal, "category")
            guard case let .intercept(outcome) = flow.decideNavigation(url: stateless),
                  case let .rejected(missing) = outcome
            else { return XCTFail("a redirect without state was not intercepted and rejected") }
            XCTAssertEqual(missing.code, "state_mismatch", "code without state")
            guard case .awaitingUser = flow.state() else {
                return XCTFail("a forged redirect must not end the flow: \(shape(flow.state()))")
            }
            await pause(300) // time for a (wrong) exchange to reach the sandbox
            try await assertEqual(await sandbox.tokenRequestCount(), tokenRequests, "token requests after the forged redirects")
            try await assertEqual(await sandbox.stat("oauthTokenRequests"), tokenStat, "oauthTokenRequests after the forged redirects")

            XCTAssertEqual(flow.handleRedirect(url: genuine), .codeAccepted, "the genuine redirect")
            let tokens = try await flow.awaitTokens().seen()
            XCTAssertFalse(tokens.accessToken.expose().isEmpty, "no access token")
            try await assertEqual(await sandbox.tokenRequestCount(), tokenRequests + 1, "exactly one token request")
        }
    }

    /// Connect: the user cancels at the consent page; `cancel()`; cancelling the Task of
    /// `signIn()`.
    func testConnectUserCancelsAtConsentPageCancelAndTaskCancellationOfSignIn() async throws {
        try await withSandbox { sandbox in
            let atBank = try connectFlow(try sandboxClient(sandbox))
            atBank.start()
            let location = try await sandbox.consent(try authorizeUrl(atBank), "cancel")
            XCTAssertEqual(queryParam(location, "error"), "access_denied", "error on the redirect")
            let outcome = atBank.handleRedirect(url: location)
            guard case let .providerError(providerError) = outcome, providerError.code == "cancelled_by_user" else {
                return XCTFail("outcome \(outcome)")
            }
            XCTAssertEqual(atBank.state(), .cancelled(by: .user), "state after the user cancelled")
            let byUser = try await expectObAuthError("awaitTokens") { try await atBank.awaitTokens().seen() }
            XCTAssertEqual(caseName(byUser), "UserAction", "case")
            XCTAssertEqual(byUser.code, "cancelled_by_user", "code")

            let byApp = try connectFlow(try sandboxClient(sandbox))
            byApp.start()
            byApp.cancel()
            let error = try await expectObAuthError("awaitTokens after cancel()") { try await byApp.awaitTokens().seen() }
            assertCategoryAndCode(error, .userAction, "cancelled_by_app")
            XCTAssertEqual(byApp.state(), .cancelled(by: .host), "state after cancel()")

            let abandoned = try connectFlow(try sandboxClient(sandbox))
            let task = Task { try await abandoned.signIn().seen() }
            _ = try await awaitingUser(abandoned)
            await pause(100)
            task.cancel()
            guard case let .failure(cancelled) = await task.result else {
                return XCTFail("signIn() returned tokens after its Task was cancelled")
            }
            XCTAssertEqual((cancelled as? ObAuthError)?.code, "cancelled_by_app", "signIn() threw \(cancelled)")
            XCTAssertEqual(abandoned.state(), .cancelled(by: .host), "state after the Task was cancelled")
        }
    }

    /// Connect: a wrong client secret fails the exchange with Fatal / bad_client_credentials.
    func testConnectWrongClientSecretIsFatalBadClientCredentials() async throws {
        try await withSandbox { sandbox in
            let flow = try connectFlow(try sandboxClient(sandbox, secret: "not-the-secret"))
            flow.start()
            let location = try await sandbox.consent(try authorizeUrl(flow), "approve")
            XCTAssertEqual(flow.handleRedirect(url: location), .codeAccepted, "redirect")
            let error = try await expectObAuthError("awaitTokens") { try await flow.awaitTokens().seen() }
            guard case .Fatal = error else { return XCTFail("expected Fatal, got \(error)") }
            XCTAssertEqual(error.code, "bad_client_credentials", "code")
            for text in ["\(error)", String(reflecting: error), error.localizedDescription] {
                XCTAssertFalse(text.contains("not-the-secret"), "the secret leaked into \(text)")
            }
            guard case let .failed(failure) = flow.state(), failure.category == .fatal else {
                return XCTFail("state \(shape(flow.state()))")
            }
        }
    }

    /// Connect: the navigation policy (wildcard redirect, allow, external, block).
    func testConnectNavigationPolicyWildcardRedirectAllowExternalBlock() async throws {
        try await withSandbox { sandbox in
            let flow = try connectFlow(try sandboxClient(sandbox))
            XCTAssertTrue(
                flow.redirectUrl().hasPrefix("https://app.example.com/aiia-callback/"),
                "redirectUrl \(flow.redirectUrl())"
            )
            let cases: [(String, Navigation)] = [
                ("https://bank.example.com/login", .allow),
                ("about:blank", .allow),
                ("https://app.example.com/aiia/callback?code=x", .allow), // another app URL
                ("https://\(BANK_APP_HOST)/authorize?x=1", .openExternally),
                ("bankid:///?autostarttoken=abc", .openExternally),
                ("javascript:alert(1)", .block),
                ("http://bank.example.com/", .block),
                ("data:text/html,hi", .block),
                // Anything below the wildcard pattern is this flow's redirect.
                (
                    "https://app.example.com/aiia-callback/other?code=x&state=y",
                    .intercept(outcome: .ignored(reason: .notWaitingForRedirect))
                ),
            ]
            for (url, expected) in cases {
                XCTAssertEqual(flow.decideNavigation(url: url), expected, url)
            }
            flow.start()
            XCTAssertEqual(
                flow.decideNavigation(url: try authorizeUrl(flow)), .allow, "the authorize URL (loopback http)"
            )
            let early = flow.decideNavigation(url: "\(CONNECT_REDIRECT)?code=abc")
            XCTAssertTrue(isRejectedRedirect(early), "a redirect without state: \(early)")
            guard case .awaitingUser = flow.state() else {
                return XCTFail("a rejected redirect must not end the flow")
            }
            flow.cancel()
        }
    }

    /// Connect: an observer and `states()` (AsyncStream<AuthorizationState>) see every state in
    /// order; a throwing observer is called for each too.
    func testConnectObserverAndStatesStreamSeeEveryStateInOrderThrowingObserverToo() async throws {
        try await withSandbox { sandbox in
            let flow = try connectFlow(try sandboxClient(sandbox))
            let observer = AuthorizationRecorder()
            let throwing = ThrowingObserver { HostFailure("host observer broke on \($0)") }
            flow.addObserver(observer: observer)
            flow.addObserver(observer: throwing)
            var iterator = flow.states().makeAsyncIterator()
            let first = await iterator.next()
            XCTAssertEqual(first, .created, "the first element (subscribed before start)")
            let signIn = Task { try await flow.signIn().seen() }
            let url = try await awaitingUser(flow)
            let location = try await sandbox.consent(url, "approve")
            XCTAssertEqual(flow.handleRedirect(url: location), .codeAccepted, "redirect")
            let tokens = try await signIn.value
            XCTAssertFalse(tokens.accessToken.expose().isEmpty, "no access token")
            var states = first.map { [$0] } ?? []
            while let state = await iterator.next() { states.append(state) }
            XCTAssertEqual(states.map(shape), connectSequence, "AsyncStream<AuthorizationState>")
            XCTAssertEqual(states.last?.isTerminal, true, "the stream did not end on a terminal state")
            // Observers run on their own thread; the terminal state may trail signIn().
            await eventually {
                observer.states.count >= connectSequence.count && throwing.calls.value >= connectSequence.count
            }
            XCTAssertEqual(observer.states.all.map(shape), connectSequence, "observed states")
            XCTAssertEqual(throwing.calls.value, connectSequence.count, "calls of the throwing observer")
        }
    }

    /// Connect: snapshot -> new client -> restoreConnectFlow -> resume -> redirect -> complete;
    /// the final snapshot saved by persistTo restores the tokens.
    func testConnectSnapshotNewClientRestoreResumeRedirectComplete() async throws {
        try await withSandbox { sandbox in
            var first: AuthorizationFlow? = try connectFlow(try sandboxClient(sandbox))
            first?.start()
            let awaiting = try unwrap(first, "flow").state()
            let snapshot = try unwrap(first, "flow").snapshot().seenSnapshot()
            XCTAssertFalse(snapshot.contains(sandbox.clientSecret), "the client secret is in the snapshot")
            first = nil // the OS kills the app while the user is at the bank

            let storage = MemoryStorage()
            let restored = try sandboxClient(sandbox).restoreConnectFlow(snapshot: snapshot)
            XCTAssertEqual(restored.state(), awaiting, "restored state")
            try restored.persistTo(storage: storage, key: "obauth.connect")
            restored.resume()
            let location = try await sandbox.consent(try authorizeUrl(restored), "approve")
            XCTAssertEqual(restored.handleRedirect(url: location), .codeAccepted, "redirect after restore")
            let tokens = try await restored.awaitTokens().seen()
            XCTAssertEqual(tokens.consentId, queryParam(location, "consentId"), "consentId")
            // awaitTokens() returns after the final snapshot was handed to the storage.
            let saved = try sandboxClient(sandbox).restoreConnectFlow(
                snapshot: try unwrap(storage.values["obauth.connect"], "saved snapshot")
            )
            guard case .authenticated = saved.state() else { return XCTFail("saved state \(shape(saved.state()))") }
            let savedTokens = try await saved.awaitTokens().seen()
            XCTAssertEqual(savedTokens, tokens, "tokens from the saved snapshot")
            let wrongKind = try expectObAuthErrorSync("a connect snapshot as a supervised login") {
                try sandboxClient(sandbox).restoreSupervisedLogin(snapshot: snapshot)
            }
            XCTAssertEqual(caseName(wrongKind), "InvalidInput", "case")
            XCTAssertEqual(wrongKind.code, "invalid_snapshot", "code")
        }
    }

    /// PKCE: discovery, public-client sign-in with an ID token, pkceTokens refresh as a public
    /// client.
    func testPkceDiscoveryPublicClientSignInWithIdTokenRefreshAsPublicClient() async throws {
        try await withSandbox { sandbox in
            let oidc = try OidcClient()
            let metadata = try await oidc.discover(issuer: sandbox.issuer)
            XCTAssertEqual(metadata.issuer, sandbox.issuer, "issuer")
            XCTAssertTrue(metadata.codeChallengeMethodsSupported.contains("S256"), "no S256 in \(metadata)")
            let flow = try await oidc.pkceFlow(config: pkceConfig(sandbox), params: pkceParams())
            flow.start()
            let url = try authorizeUrl(flow)
            XCTAssertTrue(url.hasPrefix("\(sandbox.issuer)/authorize?"), "authorize URL \(url)")
            XCTAssertEqual(queryParam(url, "code_challenge_method"), "S256", "code_challenge_method")
            XCTAssertNotNil(queryParam(url, "code_challenge"), "no code_challenge in \(url)")
            XCTAssertNotNil(queryParam(url, "nonce"), "no nonce in \(url)")
            let location = try await sandbox.consent(url, "approve")
            XCTAssertTrue(location.hasPrefix(PKCE_REDIRECT), "unexpected Location \(location)")
            XCTAssertEqual(flow.decideNavigation(url: location), .intercept(outcome: .codeAccepted), "redirect")
            let tokens = try await flow.awaitTokens().seen()
            XCTAssertNotNil(tokens.idToken, "no ID token")
            XCTAssertNotNil(tokens.refreshToken, "no refresh token")
            XCTAssertNil(tokens.consentId, "consentId (Aiia only)")
            try await assertEqual(await sandbox.lastTokenAuthMethod(), "none", "client authentication of the code exchange")

            let grants = try await sandbox.stat("refreshGrants")
            let manager = try await oidc.pkceTokens(config: pkceConfig(sandbox), tokens: tokens)
            let fresh = try await manager.freshToken().seen()
            XCTAssertEqual(fresh.accessToken, tokens.accessToken, "fresh token before expiry")
            let renewed = try await manager.forceRenewal().seen()
            XCTAssertNotEqual(renewed.accessToken, tokens.accessToken, "forceRenewal kept the access token")
            try await assertEqual(await sandbox.stat("refreshGrants"), grants + 1, "refresh grants")
            try await assertEqual(await sandbox.lastTokenAuthMethod(), "none", "client authentication of the refresh")
            XCTAssertEqual(renewed.idToken, tokens.idToken, "ID token kept across the refresh")
        }
    }

    /// PKCE: snapshot -> new OidcClient -> restorePkceFlow -> complete; another client id is
    /// refused.
    func testPkceSnapshotNewOidcClientRestorePkceFlowComplete() async throws {
        try await withSandbox { sandbox in
            var first: AuthorizationFlow? = try await OidcClient().pkceFlow(config: pkceConfig(sandbox), params: pkceParams())
            first?.start()
            let snapshot = try unwrap(first, "flow").snapshot().seenSnapshot()
            first = nil
            let wrongClient = try expectObAuthErrorSync("another client id") {
                try OidcClient().restorePkceFlow(
                    config: PkceConfig(issuer: sandbox.issuer, clientId: "someone-else"), snapshot: snapshot
                )
            }
            XCTAssertEqual(caseName(wrongClient), "InvalidInput", "case")
            XCTAssertEqual(wrongClient.code, "invalid_snapshot", "code")
            let restored = try OidcClient().restorePkceFlow(config: pkceConfig(sandbox), snapshot: snapshot)
            restored.resume()
            let location = try await sandbox.consent(try authorizeUrl(restored), "approve")
            XCTAssertEqual(restored.handleRedirect(url: location), .codeAccepted, "redirect after restore")
            let tokens = try await restored.signIn().seen()
            XCTAssertNotNil(tokens.idToken, "no ID token after restore")
        }
    }

    /// PKCE: extra authorize parameters reach the URL; offline_access with no prompt sends
    /// prompt=consent (OIDC Core §11) and brings a refresh token; the caller's prompt is kept;
    /// parameters that would override the flow's own are InvalidInput before any request.
    func testPkceExtraAuthorizeParametersOfflineAccessConsentPromptOwnParametersRefused() async throws {
        try await withSandbox { sandbox in
            let oidc = try OidcClient()
            var params = pkceParams()
            params.loginHint = "jane@example.com"
            params.uiLocales = "da-DK"
            params.maxAgeSeconds = 300
            params.extraParams = ["audience": "https://api.example.com/"]
            let flow = try await oidc.pkceFlow(config: pkceConfig(sandbox), params: params)
            flow.start()
            let url = try authorizeUrl(flow)
            XCTAssertEqual(queryParam(url, "prompt"), "consent", "prompt for offline_access")
            XCTAssertEqual(queryParam(url, "login_hint"), "jane@example.com", "login_hint")
            XCTAssertEqual(queryParam(url, "ui_locales"), "da-DK", "ui_locales")
            XCTAssertEqual(queryParam(url, "max_age"), "300", "max_age")
            XCTAssertEqual(queryParam(url, "audience"), "https://api.example.com/", "audience")
            let location = try await sandbox.consent(url, "approve")
            XCTAssertEqual(flow.handleRedirect(url: location), .codeAccepted, "redirect")
            let tokens = try await flow.awaitTokens().seen()
            XCTAssertNotNil(tokens.refreshToken, "offline access was not granted")

            var chosen = pkceParams()
            chosen.prompt = "login"
            let second = try await oidc.pkceFlow(config: pkceConfig(sandbox), params: chosen)
            second.start()
            XCTAssertEqual(queryParam(try authorizeUrl(second), "prompt"), "login", "the caller's prompt")

            for name in ["state", "code_challenge", "redirect_uri"] {
                var bad = pkceParams()
                bad.extraParams = [name: "attacker"]
                let refused = try await expectObAuthError("extra \(name)") {
                    try await oidc.pkceFlow(config: pkceConfig(sandbox), params: bad)
                }
                XCTAssertEqual(invalidInputField(refused), "authorizeParams", "field")
                XCTAssertFalse("\(refused)".contains("attacker"), "the value is echoed")
            }
        }
    }

    /// Authorization flows: invalid input names the field; bad snapshots are InvalidInput.
    func testAuthorizationFlowsInvalidInputNamesTheFieldBadSnapshotsAreInvalidInput() async throws {
        try await withSandbox { sandbox in
            let pattern = try expectObAuthErrorSync("redirect outside its pattern") {
                try sandboxClient(sandbox).connectFlow(params: AuthorizationParams(
                    redirectUri: "https://app.example.com/elsewhere", redirectPattern: CONNECT_PATTERN
                ))
            }
            XCTAssertEqual(invalidInputField(pattern), "redirectUri", "field")
            let clientId = try await expectObAuthError("empty public client id") {
                try await OidcClient().pkceFlow(config: PkceConfig(issuer: sandbox.issuer, clientId: ""), params: pkceParams())
            }
            XCTAssertEqual(invalidInputField(clientId), "clientId", "field")
            let corrupt = try expectObAuthErrorSync("corrupt snapshot") {
                try sandboxClient(sandbox).restoreConnectFlow(snapshot: "{not json")
            }
            XCTAssertEqual(caseName(corrupt), "InvalidInput", "case")
            XCTAssertEqual(corrupt.code, "invalid_snapshot", "code")
        }
    }

    /// Connect: the logs carry none of the flow's secrets (client secret, authorization code,
    /// access and refresh tokens, before and after a refresh). (The OAuth `state` is no secret:
    /// it is in the authorize URL, which the core logs at debug level with the AwaitingUser
    /// state and the WebView loads.)
    func testConnectLogsCarryNoSecrets() async throws {
        let records = Recorder<LogRecord>()
        setLogSink(level: .trace) { records.append($0) }
        defer { clearLogSink() }
        try await withSandboxClient { sandbox, client in
            let flow = try connectFlow(client)
            flow.start()
            let location = try await sandbox.consent(try authorizeUrl(flow), "approve")
            let code = try unwrap(queryParam(location, "code"), "code in the redirect")
            XCTAssertEqual(flow.handleRedirect(url: location), .codeAccepted, "redirect")
            let tokens = try await flow.awaitTokens().seen()
            let renewed = try await client.connectTokens(tokens: tokens).forceRenewal().seen()
            await eventually { records.all.contains { $0.message.contains("Authenticated") } }
            XCTAssertTrue(records.all.contains { $0.target.hasPrefix("obauth") }, "no record from the core")
            let secrets = [
                sandbox.clientSecret, code, tokens.accessToken.expose(),
                try unwrap(tokens.refreshToken, "refresh token").expose(), renewed.accessToken.expose(),
            ]
            assertNoSecrets(records.all, secrets)
        }
    }
}
