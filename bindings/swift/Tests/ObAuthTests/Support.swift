// Test plumbing shared by the suites: a lock box, bounded waits, ObAuthError expectations, the
// host-side trait implementations (observers, storages) and the constants of the Kotlin suite.
//
// Every test body runs through `bounded`, which races it against a deadline: no test can hang,
// even on a call that ignores Task cancellation (the generated async calls do).
//
// Test bodies are `@Sendable` closures (XCTestCase is not Sendable): they use only the free
// functions and Sendable values here, never the test case's `self`.

import Foundation
import XCTest
@testable import ObAuth
#if os(Linux)
import Synchronization
#endif

// MARK: - Constants (those of bindings/kotlin/test/dev/obauth/test)

/// The supervised login's redirect URL.
let REDIRECT = "https://app.example.com/aiia/callback"
/// A bank's app-link domain: its links go to the OS.
let BANK_APP_HOST = "mobilebank.example.com"
/// A concrete redirect below the sandbox's registered wildcard pattern `CONNECT_PATTERN`.
let CONNECT_REDIRECT = "https://app.example.com/aiia-callback/connect"
let CONNECT_PATTERN = "https://app.example.com/aiia-callback/*"
let PKCE_REDIRECT = "https://app.example.com/oidc/callback"

// MARK: - A lock box

#if os(Linux)
/// A value behind a lock. Checked `Sendable`: Synchronization's `Mutex`.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<R: Sendable>(_ body: (inout Value) throws -> R) rethrows -> R {
        try mutex.withLock { value in try body(&value) }
    }
}
#else
/// A value behind a lock. On Apple platforms `Mutex` needs macOS 15 / iOS 18, above the
/// package's deployment targets, so this one box uses NSLock (all access under the lock).
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<R: Sendable>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
#endif

extension Locked {
    var value: Value { withLock { $0 } }
}

extension Locked where Value == [String: String] {
    subscript(key: String) -> String? { withLock { $0[key] } }
}

/// Values appended from any thread (observers, log sinks), read as a snapshot.
final class Recorder<Element: Sendable>: Sendable {
    private let items = Locked<[Element]>([])

    func append(_ item: Element) {
        items.withLock { $0.append(item) }
    }

    var all: [Element] { items.value }
    var count: Int { items.withLock { $0.count } }
}

// MARK: - Bounded waits

/// A wait that passed its deadline.
struct TimedOut: Error, CustomStringConvertible {
    let what: String
    let seconds: Double

    var description: String { "timed out after \(seconds) s: \(what)" }
}

/// A test expectation that failed in a way the test cannot go on from.
struct TestFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// One result for one continuation: the work's, or a time-out, or the caller's cancellation.
/// At the deadline the work is cancelled and given a grace period to end (so that what it
/// still asserts lands in its own test); a call that ignores cancellation is then abandoned,
/// not awaited, so it cannot hold the test past the deadline plus the grace.
private final class Race<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var early: Result<T, any Error>?
        var done = false
        var timedOut: TimedOut?
        var work: Task<Void, Never>?
        var timers: [Task<Void, Never>] = []
    }

    private let state = Locked(State())

    func attach(_ continuation: CheckedContinuation<T, any Error>) {
        let early: Result<T, any Error>? = state.withLock { state in
            if let early = state.early { return early }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func setWork(_ task: Task<Void, Never>) {
        let late = state.withLock { state in
            if state.done { return true }
            state.work = task
            return false
        }
        if late { task.cancel() }
    }

    func addTimer(_ task: Task<Void, Never>) {
        let late = state.withLock { state in
            if state.done { return true }
            state.timers.append(task)
            return false
        }
        if late { task.cancel() }
    }

    /// The work ended: its result, unless the deadline passed first.
    func workEnded(_ result: Result<T, any Error>) {
        let timedOut = state.withLock { $0.timedOut }
        finish(timedOut.map { .failure($0) } ?? result)
    }

    /// The deadline passed: cancels the work and waits `grace` seconds at most for it to end.
    func timeOut(_ timedOut: TimedOut, grace: Double) {
        let (first, work): (Bool, Task<Void, Never>?) = state.withLock { state in
            guard !state.done, state.timedOut == nil else { return (false, nil) }
            state.timedOut = timedOut
            return (true, state.work)
        }
        guard first else { return }
        work?.cancel()
        addTimer(Task {
            try? await Task.sleep(nanoseconds: UInt64(grace * 1_000_000_000))
            if !Task.isCancelled { self.finish(.failure(timedOut)) }
        })
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, tasks): (CheckedContinuation<T, any Error>?, [Task<Void, Never>]) =
            state.withLock { state in
                if state.done { return (nil, []) }
                state.done = true
                let continuation = state.continuation
                state.continuation = nil
                if continuation == nil { state.early = result }
                let tasks = state.timers + (state.work.map { [$0] } ?? [])
                state.timers = []
                state.work = nil
                return (continuation, tasks)
            }
        for task in tasks { task.cancel() }
        continuation?.resume(with: result)
    }
}

/// `body`'s result, or `TimedOut` after `seconds` (then `body`'s task is cancelled and given
/// `grace` seconds to end before the time-out is reported).
func withTimeout<T: Sendable>(
    _ seconds: Double,
    _ what: String,
    grace: Double = 2,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let race = Race<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.attach(continuation)
            race.setWork(Task {
                do {
                    race.workEnded(.success(try await body()))
                } catch {
                    race.workEnded(.failure(error))
                }
            })
            race.addTimer(Task {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
                if !Task.isCancelled {
                    race.timeOut(TimedOut(what: what, seconds: seconds), grace: grace)
                }
            })
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// Runs a test body with a deadline (30 s: the slowest test takes about 3 s). A time-out is
/// reported at the test's line; other errors are rethrown (XCTest records them).
func bounded(
    _ seconds: Double = 30,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: @escaping @Sendable () async throws -> Void
) async throws {
    installFlavourTransport()
    do {
        try await withTimeout(seconds, "the test body", body)
    } catch let timedOut as TimedOut {
        XCTFail("\(timedOut)", file: file, line: line)
        throw timedOut
    }
}

/// `bounded` with the sandbox of this run: how most test bodies begin.
func withSandbox(
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: @escaping @Sendable (Sandbox) async throws -> Void
) async throws {
    try await bounded(file: file, line: line) { try await body(try sandbox()) }
}

/// `bounded` with the sandbox of this run and a client of it (`sandboxClient`).
func withSandboxClient(
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: @escaping @Sendable (Sandbox, ObAuthClient) async throws -> Void
) async throws {
    try await withSandbox(file: file, line: line) { sandbox in try await body(sandbox, try sandboxClient(sandbox)) }
}

/// `bounded` with the sandbox of this run and the relays in front of it (`RelaySetup.load`).
func withSandboxAndRelay(
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: @escaping @Sendable (Sandbox, RelaySetup) async throws -> Void
) async throws {
    try await withSandbox(file: file, line: line) { sandbox in try await body(sandbox, try RelaySetup.load()) }
}

/// Waits (bounded) until `condition` holds, polling every 20 ms; false if it never did. Runs
/// on the caller's actor (the condition may read main-actor state).
@discardableResult
func eventually(
    within seconds: Double = 2,
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () -> Bool
) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
    return true
}

/// `XCTAssertEqual` of a value that takes an `await` to read (a sandbox counter, say), which
/// XCTest's own autoclosures cannot: `try await assertEqual(await sandbox.stat("x"), before + 1, "x")`.
func assertEqual<T: Equatable>(
    _ value: @autoclosure () async throws -> T,
    _ expected: T,
    _ message: String,
    isolation: isolated (any Actor)? = #isolation,
    file: StaticString = #filePath,
    line: UInt = #line
) async rethrows {
    let actual = try await value()
    XCTAssertEqual(actual, expected, message, file: file, line: line)
}

/// Sleeps `milliseconds`.
func pause(_ milliseconds: UInt64) async {
    try? await Task.sleep(nanoseconds: milliseconds * 1_000_000)
}

// MARK: - Expectations

/// The `ObAuthError` that `body` throws; any other outcome fails the test (and throws, so the
/// test stops there). The success value is never printed: it may hold tokens.
func expectObAuthError<T>(
    _ what: String,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () async throws -> T
) async throws -> ObAuthError {
    do {
        _ = try await body()
    } catch {
        return try thrownObAuthError(what, error, file: file, line: line)
    }
    return try thrownObAuthError(what, nil, file: file, line: line)
}

/// `expectObAuthError` for synchronous calls.
func expectObAuthErrorSync<T>(
    _ what: String,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () throws -> T
) throws -> ObAuthError {
    do {
        _ = try body()
    } catch {
        return try thrownObAuthError(what, error, file: file, line: line)
    }
    return try thrownObAuthError(what, nil, file: file, line: line)
}

/// What a call threw, if it is an `ObAuthError`; a test failure if it threw something else or
/// nothing (`thrown` nil).
private func thrownObAuthError(
    _ what: String,
    _ thrown: (any Error)?,
    file: StaticString,
    line: UInt
) throws -> ObAuthError {
    guard let thrown else {
        XCTFail("\(what): expected an ObAuthError, nothing was thrown", file: file, line: line)
        throw TestFailure("\(what): expected an ObAuthError, nothing was thrown")
    }
    if let error = thrown as? ObAuthError {
        return error
    }
    XCTFail("\(what): expected an ObAuthError, got \(thrown)", file: file, line: line)
    throw TestFailure("\(what): expected an ObAuthError, got \(thrown)")
}

/// Fails unless `error` is of `category` with `code`.
func assertCategoryAndCode(
    _ error: ObAuthError,
    _ category: ErrorCategory,
    _ code: String,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    XCTAssertEqual(error.category, category, "category", file: file, line: line)
    XCTAssertEqual(error.code, code, "code", file: file, line: line)
}

/// The `field` of an `InvalidInput` error, or nil for any other case.
func invalidInputField(_ error: ObAuthError) -> String? {
    if case let .InvalidInput(field, _, _, _) = error { return field }
    return nil
}

/// The case name of an error, as in Kotlin's subclasses (`Fatal`, `UserAction`, …).
func caseName(_ error: ObAuthError) -> String {
    switch error {
    case .InvalidInput: return "InvalidInput"
    case .RetryLater: return "RetryLater"
    case .UserAction: return "UserAction"
    case .Reauthenticate: return "Reauthenticate"
    case .Fatal: return "Fatal"
    }
}

/// Unwraps `value` or fails the test (and throws).
func unwrap<T>(
    _ value: T?,
    _ what: String,
    file: StaticString = #filePath,
    line: UInt = #line
) throws -> T {
    guard let value else {
        XCTFail("\(what): nil", file: file, line: line)
        throw TestFailure("\(what): nil")
    }
    return value
}

// MARK: - States

/// The shape of a login state for sequence comparisons: its name and how the code came.
func shape(_ state: LoginState) -> String {
    func via(_ source: CodeSource) -> String { source == .poll ? "POLL" : "REDIRECT" }
    switch state {
    case .created: return "Created"
    case .initializing: return "Initializing"
    case .awaitingUser: return "AwaitingUser"
    case let .codeReceived(source): return "CodeReceived(\(via(source)))"
    case let .exchanging(source): return "Exchanging(\(via(source)))"
    case let .authenticated(source, _, _, _): return "Authenticated(\(via(source)))"
    case .failed: return "Failed"
    case .cancelled: return "Cancelled"
    case .notApplicable: return "NotApplicable"
    case .timedOut: return "TimedOut"
    }
}

/// The shape of an authorization state: its name.
func shape(_ state: AuthorizationState) -> String {
    switch state {
    case .created: return "Created"
    case .awaitingUser: return "AwaitingUser"
    case .codeReceived: return "CodeReceived"
    case .exchanging: return "Exchanging"
    case .authenticated: return "Authenticated"
    case .failed: return "Failed"
    case .cancelled: return "Cancelled"
    case .timedOut: return "TimedOut"
    }
}

let pollSequence = [
    "Created", "Initializing", "AwaitingUser",
    "CodeReceived(POLL)", "Exchanging(POLL)", "Authenticated(POLL)",
]

let connectSequence = ["Created", "AwaitingUser", "CodeReceived", "Exchanging", "Authenticated"]

/// Whether `navigation` is a redirect of the flow, intercepted and rejected (a forged or
/// incomplete one).
func isRejectedRedirect(_ navigation: Navigation) -> Bool {
    guard case let .intercept(outcome) = navigation, case .rejected = outcome else { return false }
    return true
}

/// The login's bank page, once it waits for the user (through `states()`).
///
/// Also checks that `state()` already says AwaitingUser when an observer hears of it (a
/// regression: the core used to notify the observers before `state()` was updated).
func awaitingUser(_ login: SupervisedLogin) async throws -> String {
    for await state in login.states() {
        if case let .awaitingUser(authUrl, _) = state {
            guard case .awaitingUser = login.state() else {
                throw TestFailure("state() trails the observers: \(shape(login.state()))")
            }
            return authUrl
        }
        if state.isTerminal { throw TestFailure("the login ended in \(shape(state)) before AwaitingUser") }
    }
    throw TestFailure("the states stream ended before AwaitingUser")
}

/// The flow's authorize URL, once it waits for the user (through `states()`; and `state()`
/// agrees, as for the supervised login).
func awaitingUser(_ flow: AuthorizationFlow) async throws -> String {
    for await state in flow.states() {
        if case let .awaitingUser(authorizeUrl) = state {
            guard case .awaitingUser = flow.state() else {
                throw TestFailure("state() trails the observers: \(shape(flow.state()))")
            }
            return authorizeUrl
        }
        if state.isTerminal { throw TestFailure("the flow ended in \(shape(state)) before AwaitingUser") }
    }
    throw TestFailure("the states stream ended before AwaitingUser")
}

/// The URL the flow waits at (it must be in AwaitingUser).
func authorizeUrl(_ flow: AuthorizationFlow) throws -> String {
    let state = flow.state()
    guard case let .awaitingUser(url) = state else {
        throw TestFailure("expected AwaitingUser, got \(shape(state))")
    }
    return url
}

// MARK: - URLs and text

/// The decoded value of query parameter `name` in `url`, or nil.
func queryParam(_ url: String, _ name: String) -> String? {
    URLComponents(string: url)?.queryItems?.first { $0.name == name }.map { $0.value ?? "" }
}

/// `text` with every match of `pattern` replaced by `template` (`$1` for a group).
func replacing(_ pattern: String, in text: String, with template: String) -> String {
    let regex = try! NSRegularExpression(pattern: pattern)
    return regex.stringByReplacingMatches(
        in: text, range: NSRange(text.startIndex..., in: text), withTemplate: template
    )
}

/// Every match of `pattern` in `text`, as its groups (index 0: the whole match).
func matches(
    _ pattern: String,
    in text: String,
    options: NSRegularExpression.Options = []
) -> [[String]] {
    let regex = try! NSRegularExpression(pattern: pattern, options: options)
    return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
        (0..<match.numberOfRanges).map { index in
            Range(match.range(at: index), in: text).map { String(text[$0]) } ?? ""
        }
    }
}

/// Kotlin's `trimIndent()`: drops a blank first and last line and the common indentation.
func trimIndent(_ text: String) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if let first = lines.first, first.allSatisfy(\.isWhitespace) { lines.removeFirst() }
    if let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
    let indent = lines.filter { !$0.allSatisfy(\.isWhitespace) }
        .map { $0.prefix { $0 == " " || $0 == "\t" }.count }
        .min() ?? 0
    return lines.map { $0.allSatisfy(\.isWhitespace) ? "" : String($0.dropFirst(indent)) }
        .joined(separator: "\n")
}

/// Now, in whole seconds: Timestamps cross the FFI exactly only without a fraction.
func nowWholeSeconds() -> Date {
    Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
}

/// `actual` is `expected` after a trip from Swift through the core: equal in every field, the
/// expiry to the millisecond (the core rounds a host date to the nearest millisecond, so the
/// floating-point error of the generated Timestamp lowering is not a lost millisecond; see
/// `TokenTests.testTimestampsHandedToTheCoreKeepTheirMilliseconds`).
func assertSameTokens(
    _ actual: TokenSet?,
    _ expected: TokenSet,
    _ what: String,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    guard let actual else { return XCTFail("\(what): nil", file: file, line: line) }
    XCTAssertEqual(actual, expected, what, file: file, line: line)
}

// MARK: - Test users and clients

private let userCounter = Locked(0)

/// A fresh userHash per login, so scripts never leak between tests.
func uniqueUser(_ tag: String) -> String {
    let n = userCounter.withLock { count -> Int in
        count += 1
        return count
    }
    let nanos = DispatchTime.now().uptimeNanoseconds % 100_000
    return String("sw-\(tag)-\(n)-\(nanos)".prefix(64))
}

/// The library's flavour of this run (`OBAUTH_FLAVOUR`, set by bindings/scripts/test-swift.sh):
/// the platform-networking one has no HTTP client of its own, so every request goes through
/// URLSession (`URLSessionTransport`), installed before any client is built. `ObAuthTestCase.setUp`,
/// `bounded` and `sandbox()` call this; a test building a client outside them calls it first.
func installFlavourTransport() {
    _ = flavourTransportInstalled
}

/// The flavour's transport (none in the default flavour), installed again.
func restoreFlavourTransport() {
    if isPlatformFlavour {
        setHttpTransport(transport: URLSessionTransport())
    } else {
        clearHttpTransport()
    }
}

let isPlatformFlavour = ProcessInfo.processInfo.environment["OBAUTH_FLAVOUR"] == "platform"

private let flavourTransportInstalled: Bool = {
    restoreFlavourTransport()
    return true
}()

/// The sandbox and a fresh user whose bank page follows `script` (after `delayMs`): how most
/// supervised-login tests begin.
func scriptedUser(_ tag: String, _ script: String, delayMs: Int = 0) async throws -> (Sandbox, String) {
    let sandbox = try sandbox()
    let user = uniqueUser(tag)
    try await sandbox.script(user, script, delayMs: delayMs)
    return (sandbox, user)
}

/// The sandbox and a supervised login of a fresh user whose bank page follows `script` (after
/// `delayMs`), not started.
func scriptedLogin(_ tag: String, _ script: String, delayMs: Int = 0) async throws -> (Sandbox, SupervisedLogin) {
    let (sandbox, user) = try await scriptedUser(tag, script, delayMs: delayMs)
    return (sandbox, try supervisedLogin(try sandboxClient(sandbox), user))
}

/// The sandbox of this run (`OBAUTH_SANDBOX_URL`, set by bindings/scripts/test-swift.sh).
func sandbox() throws -> Sandbox {
    installFlavourTransport()
    guard let url = ProcessInfo.processInfo.environment["OBAUTH_SANDBOX_URL"], !url.isEmpty else {
        throw TestFailure("OBAUTH_SANDBOX_URL is not set (bindings/scripts/test-swift.sh sets it)")
    }
    return Sandbox(baseUrl: url)
}

/// A client of the sandbox, with the bank app's host handed to the OS.
func sandboxClient(_ sandbox: Sandbox, secret: String? = nil) throws -> ObAuthClient {
    try ObAuthClient(config: ClientConfig(
        apiUrl: sandbox.baseUrl,
        clientId: sandbox.clientId,
        clientSecret: Secret(secret ?? sandbox.clientSecret),
        externalAppHosts: [BANK_APP_HOST],
        webHosts: ["bank.example.com"],
        externalSchemes: ["bankid", "tel"]
    ))
}

/// A supervised login for `user`, redirecting to `REDIRECT`.
func supervisedLogin(_ client: ObAuthClient, _ user: String) throws -> SupervisedLogin {
    try client.supervisedLogin(params: SupervisedLoginParams(userHash: user, redirectUrl: REDIRECT))
}

/// A connect flow redirecting below the sandbox's wildcard pattern.
func connectFlow(_ client: ObAuthClient) throws -> AuthorizationFlow {
    try client.connectFlow(
        params: AuthorizationParams(redirectUri: CONNECT_REDIRECT, redirectPattern: CONNECT_PATTERN),
        accountsGroupName: "sw-group"
    )
}

/// A whole connect flow, the user approving: the tokens.
func signInByConnect(_ sandbox: Sandbox, _ client: ObAuthClient) async throws -> TokenSet {
    let flow = try connectFlow(client)
    flow.start()
    let location = try await sandbox.consent(try authorizeUrl(flow), "approve")
    XCTAssertEqual(flow.handleRedirect(url: location), .codeAccepted, "the connect redirect")
    return try await flow.awaitTokens().seen()
}

// MARK: - Host traits

/// What an app's Keychain-backed storage looks like to the core; in memory for the tests.
final class MemoryStorage: SecureStorage, Sendable {
    let values = Locked<[String: String]>([:])
    let saves = Locked(0)

    func save(key: String, value: String) throws {
        RunScan.note(snapshot: value)
        values.withLock { $0[key] = value }
        saves.withLock { $0 += 1 }
    }

    func load(key: String) throws -> String? {
        values[key]
    }

    func remove(key: String) throws {
        values.withLock { $0[key] = nil }
    }
}

/// A host failure that is not an `ObAuthError` (as a locked Keychain would report).
struct HostFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A storage whose every call fails the way a host storage can: `failure` is thrown.
final class FailingStorage: SecureStorage, Sendable {
    private let failure: @Sendable () -> any Error

    init(_ failure: @escaping @Sendable () -> any Error) {
        self.failure = failure
    }

    func save(key: String, value: String) throws { throw failure() }
    func load(key: String) throws -> String? { throw failure() }
    func remove(key: String) throws { throw failure() }
}

/// Records every login state it is told.
final class LoginRecorder: StateObserver, Sendable {
    let states = Recorder<LoginState>()

    func onState(state: LoginState) throws {
        states.append(state)
    }
}

/// Records every authorization state it is told.
final class AuthorizationRecorder: AuthorizationStateObserver, Sendable {
    let states = Recorder<AuthorizationState>()

    func onState(state: AuthorizationState) throws {
        states.append(state)
    }
}

/// An observer that counts its calls and throws `error` from each.
final class ThrowingObserver: StateObserver, AuthorizationStateObserver, Sendable {
    let calls = Locked(0)
    private let error: @Sendable (String) -> any Error

    init(_ error: @escaping @Sendable (String) -> any Error) {
        self.error = error
    }

    func onState(state: LoginState) throws {
        calls.withLock { $0 += 1 }
        throw error(shape(state))
    }

    func onState(state: AuthorizationState) throws {
        calls.withLock { $0 += 1 }
        throw error(shape(state))
    }
}

/// A log sink through the generated protocol (the layer's closure cannot throw) that throws.
final class ThrowingLogSink: LogSink, Sendable {
    let calls = Locked(0)

    func log(record: LogRecord) throws {
        calls.withLock { $0 += 1 }
        throw HostFailure("log sink broke")
    }
}

/// A latch the host code blocks on (a thread, not a task: the core calls observers on its own
/// threads), released once for all waiters; waits give up after `limit` seconds.
final class Latch: Sendable {
    private let released = Locked(false)

    func release() {
        released.withLock { $0 = true }
    }

    func wait(limit seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while !released.value && Date() < deadline {
            usleep(5_000)
        }
    }
}
