// Supervised login through the Swift bindings, end to end against the sandbox (the port of
// bindings/kotlin/test/dev/obauth/test/LoginTests.kt, one test method per Kotlin test).

import Foundation
import XCTest
@testable import ObAuth

final class LoginTests: ObAuthTestCase {
    /// Supervised login by poll; an observer sees every state in order.
    func testSupervisedLoginByPollObserverSeesEveryStateInOrder() async throws {
        try await bounded {
            let (sandbox, user) = try await scriptedUser("poll", "approve", delayMs: 300)
            let before = try await sandbox.successfulExchanges()
            let login = try supervisedLogin(try sandboxClient(sandbox), user)
            let observer = LoginRecorder()
            login.addObserver(observer: observer)
            login.start()
            let tokens = try await login.awaitTokens().seen()
            XCTAssertEqual(tokens.completedVia, .poll, "completedVia")
            XCTAssertFalse(tokens.accessToken.expose().isEmpty, "empty access token")
            XCTAssertFalse(tokens.loginToken.expose().isEmpty, "empty login token")
            XCTAssertGreaterThan(tokens.accessTokenExpires, Date(), "access token already expired")
            XCTAssertFalse(tokens.providerId.isEmpty, "no provider id")
            // The observer runs on its own thread; the terminal state may trail awaitTokens().
            await eventually { observer.states.count >= pollSequence.count }
            XCTAssertEqual(observer.states.all.map(shape), pollSequence, "observed states")
            guard case .authenticated(.poll, _, _, _) = login.state() else {
                return XCTFail("state() is \(shape(login.state()))")
            }
            try await assertEqual(await sandbox.successfulExchanges(), before + 1, "exchanges at the sandbox")
        }
    }

    /// `states()` as an AsyncStream: every state in order, ending with the terminal one; a late
    /// subscriber gets the terminal state only, and its stream finishes.
    func testStatesStreamEndsWithTheTerminalState() async throws {
        try await bounded {
            let (_, login) = try await scriptedLogin("stream", "approve", delayMs: 200)
            var iterator = login.states().makeAsyncIterator()
            let first = await iterator.next()
            XCTAssertEqual(first, .created, "the first element (subscribed before start)")
            login.start()
            var states = first.map { [$0] } ?? []
            while let state = await iterator.next() { states.append(state) }
            XCTAssertEqual(states.map(shape), pollSequence, "AsyncStream<LoginState>")
            XCTAssertEqual(states.last?.isTerminal, true, "the stream did not end on a terminal state")
            XCTAssertEqual(states.filter(\.isTerminal).count, 1, "terminal states in the stream")
            // A late subscriber gets the terminal state only, and the stream finishes.
            var late: [LoginState] = []
            for await state in login.states() { late.append(state) }
            XCTAssertEqual(late.map(shape), ["Authenticated(POLL)"], "late iteration")
        }
    }

    /// Supervised login by redirect, through the navigation policy.
    func testSupervisedLoginByRedirectThroughTheNavigationPolicy() async throws {
        try await bounded {
            let (sandbox, user) = try await scriptedUser("redirect", "page")
            // Hold the first status long-poll so the redirect deterministically wins the race.
            try await sandbox.fault("status", "delay", delayMs: 1500)
            let before = try await sandbox.successfulExchanges()
            let login = try supervisedLogin(try sandboxClient(sandbox), user)
            login.start()
            let authUrl = try await awaitingUser(login)
            XCTAssertEqual(login.decideNavigation(url: authUrl), .allow, "the bank page")
            let location = try await sandbox.decide(authUrl, "approve")
            XCTAssertTrue(location.hasPrefix(REDIRECT), "unexpected Location \(location)")
            XCTAssertEqual(
                login.decideNavigation(url: location),
                .intercept(outcome: .codeAccepted),
                "the redirect back to the app"
            )
            let tokens = try await login.awaitTokens().seen()
            XCTAssertEqual(tokens.completedVia, .redirect, "completedVia")
            XCTAssertEqual(login.handleRedirect(url: location), .ignored(reason: .flowFinished), "the same redirect again")
            XCTAssertEqual(login.handleRedirect(url: "https://example.com/x"), .notForThisFlow, "a foreign URL")
            try await assertEqual(await sandbox.successfulExchanges(), before + 1, "exactly one exchange")
        }
    }

    /// The user cancels at the bank: the redirect carries the error.
    func testUserCancelsAtTheBankTheRedirectCarriesTheError() async throws {
        try await bounded {
            let (sandbox, user) = try await scriptedUser("usercancel", "page")
            try await sandbox.fault("status", "delay", delayMs: 1500)
            let login = try supervisedLogin(try sandboxClient(sandbox), user)
            login.start()
            let location = try await sandbox.decide(try await awaitingUser(login), "cancel")
            let outcome = login.handleRedirect(url: location)
            guard case .providerError = outcome else { return XCTFail("outcome \(outcome)") }
            let error = try await expectObAuthError("awaitTokens") { try await login.awaitTokens().seen() }
            XCTAssertEqual(caseName(error), "UserAction", "case")
            assertCategoryAndCode(error, .userAction, "cancelled_by_user")
            XCTAssertEqual(login.state(), .cancelled(by: .user), "state")
        }
    }

    /// `cancel()` ends the login with UserAction / cancelled_by_app.
    func testCancelEndsTheLoginWithCancelledByApp() async throws {
        try await bounded {
            let (_, login) = try await scriptedLogin("cancel", "never")
            login.start()
            _ = try await awaitingUser(login)
            login.cancel()
            let error = try await expectObAuthError("awaitTokens") { try await login.awaitTokens().seen() }
            assertCategoryAndCode(error, .userAction, "cancelled_by_app")
            XCTAssertEqual(login.state(), .cancelled(by: .host), "state")
            XCTAssertEqual(
                login.handleRedirect(url: "\(REDIRECT)?code=late"),
                .ignored(reason: .flowFinished),
                "a redirect after cancel"
            )
        }
    }

    /// Cancelling the Task awaiting `signIn()` cancels the login.
    func testCancellingTheTaskOfSignInCancelsTheLogin() async throws {
        try await bounded {
            let (_, login) = try await scriptedLogin("taskcancel", "never")
            let task = Task { try await login.signIn().seen() }
            _ = try await awaitingUser(login) // the user is at the bank, forever
            task.cancel()
            let result = await task.result
            switch result {
            case .success:
                XCTFail("signIn() returned tokens after its Task was cancelled")
            case let .failure(error):
                let error = try unwrap(error as? ObAuthError, "signIn() threw \(error), not an ObAuthError")
                assertCategoryAndCode(error, .userAction, "cancelled_by_app")
            }
            XCTAssertEqual(login.state(), .cancelled(by: .host), "state after the Task was cancelled")
        }
    }

    /// A Task cancelled before `signIn()` runs: the login is cancelled at once, nothing waits.
    func testSignInInAnAlreadyCancelledTaskCancelsTheLoginAtOnce() async throws {
        try await bounded {
            let (_, login) = try await scriptedLogin("precancel", "never")
            let task = Task {
                while !Task.isCancelled { await pause(5) } // signIn() starts in a cancelled Task
                return try await login.signIn().seen()
            }
            task.cancel()
            let result = await task.result
            guard case let .failure(error) = result else { return XCTFail("signIn() returned tokens") }
            XCTAssertEqual((error as? ObAuthError)?.code, "cancelled_by_app", "error \(error)")
            XCTAssertEqual(login.state(), .cancelled(by: .host), "state")
        }
    }

    /// A wrong client secret is an `ObAuthError.Fatal` (category fatal) that does not leak it.
    func testWrongClientSecretIsAFatalObAuthError() async throws {
        try await withSandbox { sandbox in
            let login = try supervisedLogin(try sandboxClient(sandbox, secret: "not-the-secret"), uniqueUser("badsecret"))
            login.start()
            let error = try await expectObAuthError("awaitTokens") { try await login.awaitTokens().seen() }
            guard case .Fatal = error else { return XCTFail("expected Fatal, got \(error)") }
            assertCategoryAndCode(error, .fatal, "bad_client_credentials")
            for text in ["\(error)", String(reflecting: error), error.localizedDescription, error.detail] {
                XCTAssertFalse(text.contains("not-the-secret"), "the secret leaked into \(text)")
            }
            guard case let .failed(failure) = login.state(), failure.category == .fatal else {
                return XCTFail("state \(shape(login.state()))")
            }
            XCTAssertEqual(failure, error, "the failed state's error")
        }
    }

    /// Invalid configuration and parameters name the field.
    func testInvalidConfigurationAndParametersNameTheField() async throws {
        try await withSandbox { sandbox in
            let plainHttp = try expectObAuthErrorSync("plain http to a remote host") {
                try ObAuthClient(config: ClientConfig(apiUrl: "http://api.example.com", clientId: "id", clientSecret: Secret("secret")))
            }
            XCTAssertEqual(invalidInputField(plainHttp), "apiUrl", "field")
            XCTAssertEqual(plainHttp.category, .invalidInput, "category")
            let badUser = try expectObAuthErrorSync("bad userHash") {
                try supervisedLogin(try sandboxClient(sandbox), "x")
            }
            XCTAssertEqual(invalidInputField(badUser), "userHash", "field")
            let empty = try expectObAuthErrorSync("empty secret") { try sandboxClient(sandbox, secret: "") }
            XCTAssertEqual(invalidInputField(empty), "clientSecret", "field")
        }
    }

    /// The navigation policy: allow, intercept, open externally, block.
    func testNavigationPolicyAllowInterceptOpenExternallyBlock() async throws {
        try await bounded {
            let (sandbox, login) = try await scriptedLogin("nav", "never")
            let cases: [(String, Navigation)] = [
                ("https://bank.example.com/login", .allow),
                ("\(sandbox.baseUrl)/v1/authentication/start", .allow), // loopback http
                ("about:blank", .allow),
                ("https://\(BANK_APP_HOST)/authorize?x=1", .openExternally),
                ("https://eu.\(BANK_APP_HOST)/authorize", .openExternally),
                ("bankid:///?autostarttoken=abc", .openExternally),
                ("tel:+4512345678", .openExternally),
                ("javascript:alert(1)", .block),
                ("http://bank.example.com/", .block),
                ("file:///etc/passwd", .block),
                ("not a url", .block),
                ("https://app.example.com/other-path", .allow),
                ("\(REDIRECT)?code=early", .intercept(outcome: .ignored(reason: .notWaitingForRedirect))),
            ]
            for (url, expected) in cases {
                XCTAssertEqual(login.decideNavigation(url: url), expected, url)
            }
            login.start()
            _ = try await awaitingUser(login)
            let noCode = login.decideNavigation(url: REDIRECT)
            XCTAssertTrue(isRejectedRedirect(noCode), "a redirect without a code: \(noCode)")
            guard case .awaitingUser = login.state() else {
                return XCTFail("a rejected redirect must not end the login: \(shape(login.state()))")
            }
            login.cancel()
        }
    }

    /// Throwing host observers (an ObAuthError and any other error) and a throwing log sink do
    /// not break the login, and the observers keep being called.
    func testThrowingObserverAndLogSinkDoNotBreakTheLogin() async throws {
        let sink = ThrowingLogSink()
        ObAuthFFI.setLogSink(sink: sink, level: .trace)
        defer { clearLogSink() }
        try await bounded {
            let (_, login) = try await scriptedLogin("throwing", "approve", delayMs: 200)
            let untyped = ThrowingObserver { HostFailure("observer broke on \($0)") }
            let typed = ThrowingObserver { _ in ObAuthError.Fatal(code: "host_callback", detail: "typed host failure", correlationId: nil) }
            login.addObserver(observer: untyped)
            login.addObserver(observer: typed)
            login.start()
            let tokens = try await login.awaitTokens().seen()
            XCTAssertEqual(tokens.completedVia, .poll, "completedVia")
            await eventually { untyped.calls.value >= pollSequence.count && typed.calls.value >= pollSequence.count }
            XCTAssertEqual(untyped.calls.value, pollSequence.count, "calls of the observer throwing HostFailure")
            XCTAssertEqual(typed.calls.value, pollSequence.count, "calls of the observer throwing ObAuthError")
            XCTAssertGreaterThan(sink.calls.value, 0, "the throwing log sink was never called")
        }
    }

    /// The log sink receives the core's logs, and no secret is in them.
    func testLogSinkReceivesTheCoresLogsWithoutSecrets() async throws {
        let records = Recorder<LogRecord>()
        setLogSink(level: .trace) { records.append($0) }
        defer { clearLogSink() }
        try await bounded {
            let (sandbox, user) = try await scriptedUser("logs", "approve", delayMs: 100)
            let tokens = try await supervisedLogin(try sandboxClient(sandbox), user).signIn().seen()
            let complete = await eventually { records.all.contains { $0.message.contains("Authenticated") } }
            XCTAssertTrue(complete, "no record of the Authenticated state")
            XCTAssertTrue(records.all.contains { $0.target.hasPrefix("obauth") }, "no record from the core")
            let secrets = [sandbox.clientSecret, tokens.accessToken.expose(), tokens.loginToken.expose()]
            assertNoSecrets(records.all, secrets)
        }
    }

    /// A blocking observer (host code that hangs) does not stall the login.
    func testBlockingObserverDoesNotStallTheLogin() async throws {
        let release = Latch()
        defer { release.release() }
        try await bounded {
            let (_, login) = try await scriptedLogin("slowobs", "approve", delayMs: 100)
            login.addObserver(observer: BlockingObserver(release))
            login.start()
            let tokens = try await withTimeout(5, "awaitTokens with a blocked observer") {
                try await login.awaitTokens().seen()
            }
            XCTAssertEqual(tokens.completedVia, .poll, "completedVia")
        }
    }
}

/// An observer that hangs (up to 10 s) on every state until released.
final class BlockingObserver: StateObserver, Sendable {
    private let latch: Latch

    init(_ latch: Latch) {
        self.latch = latch
    }

    func onState(state: LoginState) throws {
        latch.wait(limit: 10)
    }
}

/// Fails for every log record whose target or message contains one of `secrets`.
func assertNoSecrets(
    _ records: [LogRecord],
    _ secrets: [String],
    file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertFalse(records.isEmpty, "no log records", file: file, line: line)
    for (index, secret) in secrets.enumerated() {
        XCTAssertFalse(secret.isEmpty, "secret #\(index) is empty", file: file, line: line)
        for record in records where record.message.contains(secret) || record.target.contains(secret) {
            // Never print the secret itself.
            XCTFail("secret #\(index) leaked into a log record of \(record.target)", file: file, line: line)
        }
    }
}
