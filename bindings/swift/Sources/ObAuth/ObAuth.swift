// The idiomatic Swift layer over the generated bindings (module ObAuthFFI).
//
// Why a layer: the generated API is callback-shaped (a StateObserver the app implements) and an
// error's "what to do next" is its case. Apps want Swift concurrency: an AsyncStream of states
// to iterate in a view model, async calls that honour Task cancellation, and `error.category`.
// Everything here adapts; decisions stay in the Rust core.
//
// Secrets: every secret in a record (ClientConfig and ClientCredentialsConfig: the client secret;
// SupervisedTokens and TokenSet: the tokens) is a `Secret` (ObAuthFFI/Secret.swift), which
// prints "[redacted]"; `expose()` gives the value, for the Keychain or an Authorization header.

@_exported import ObAuthFFI

extension ObAuthError {
    /// What the app should do next: the case, as an enum.
    public var category: ErrorCategory {
        switch self {
        case .InvalidInput: return .invalidInput
        case .RetryLater: return .retryLater
        case .UserAction: return .userAction
        case .Reauthenticate: return .reauthenticate
        case .Fatal: return .fatal
        }
    }

    /// The stable machine-readable code (e.g. `bad_client_credentials`, `cancelled_by_user`).
    public var code: String {
        switch self {
        case let .InvalidInput(_, code, _, _): return code
        case let .RetryLater(code, _, _, _): return code
        case let .UserAction(code, _, _): return code
        case let .Reauthenticate(code, _, _): return code
        case let .Fatal(code, _, _): return code
        }
    }

    /// The human-readable explanation (never contains a secret).
    public var detail: String {
        switch self {
        case let .InvalidInput(_, _, detail, _): return detail
        case let .RetryLater(_, detail, _, _): return detail
        case let .UserAction(_, detail, _): return detail
        case let .Reauthenticate(_, detail, _): return detail
        case let .Fatal(_, detail, _): return detail
        }
    }

    /// The correlation id of the flow that failed (sent as `X-Correlation-Id` on each of its
    /// requests), for a support ticket to quote; `nil` for an error that belongs to no flow.
    public var correlationId: String? {
        switch self {
        case let .InvalidInput(_, _, _, id): return id
        case let .RetryLater(_, _, _, id): return id
        case let .UserAction(_, _, id): return id
        case let .Reauthenticate(_, _, id): return id
        case let .Fatal(_, _, id): return id
        }
    }
}

extension LoginState {
    /// Whether the login has ended (no further state will come).
    public var isTerminal: Bool {
        switch self {
        case .authenticated, .failed, .cancelled, .notApplicable, .timedOut: return true
        case .created, .initializing, .awaitingUser, .codeReceived, .exchanging: return false
        }
    }
}

extension AuthorizationState {
    /// Whether the authorization flow has ended (no further state will come).
    public var isTerminal: Bool {
        switch self {
        case .authenticated, .failed, .cancelled, .timedOut: return true
        case .created, .awaitingUser, .codeReceived, .exchanging: return false
        }
    }
}

/// Bridges the core's state observer to an `AsyncStream` continuation. `Sendable` (checked): it
/// holds only the continuation, which is.
final class StreamObserver: StateObserver, Sendable {
    private let continuation: AsyncStream<LoginState>.Continuation

    init(_ continuation: AsyncStream<LoginState>.Continuation) {
        self.continuation = continuation
    }

    func onState(state: LoginState) throws {
        continuation.yield(state)
        if state.isTerminal {
            continuation.finish()
        }
    }
}

/// Bridges an authorization flow's state observer to an `AsyncStream` continuation.
final class AuthorizationStreamObserver: AuthorizationStateObserver, Sendable {
    private let continuation: AsyncStream<AuthorizationState>.Continuation

    init(_ continuation: AsyncStream<AuthorizationState>.Continuation) {
        self.continuation = continuation
    }

    func onState(state: AuthorizationState) throws {
        continuation.yield(state)
        if state.isTerminal {
            continuation.finish()
        }
    }
}

extension SupervisedLogin {
    /// Every state of the login from now on, in order, starting with the current one; the
    /// stream finishes after the terminal state. No state is dropped (unbounded buffer: a login
    /// has a handful of states). Each call registers its own observer.
    public func states() -> AsyncStream<LoginState> {
        AsyncStream(bufferingPolicy: .unbounded) { continuation in
            self.addObserver(observer: StreamObserver(continuation))
        }
    }

    /// Starts the login (if not started) and waits for its end: the tokens, or an
    /// `ObAuthError`. Structured concurrency: cancelling the calling `Task` cancels the login
    /// (unlike `awaitTokens()`, which leaves it running).
    public func signIn() async throws -> SupervisedTokens {
        start()
        return try await withTaskCancellationHandler {
            try await self.awaitTokens()
        } onCancel: {
            self.cancel()
        }
    }
}

extension AuthorizationFlow {
    /// Every state of the authorization flow (connect, PKCE) from now on, in order, starting
    /// with the current one; the stream finishes after the terminal state. No state is dropped.
    /// Each call registers its own observer.
    public func states() -> AsyncStream<AuthorizationState> {
        AsyncStream(bufferingPolicy: .unbounded) { continuation in
            self.addObserver(observer: AuthorizationStreamObserver(continuation))
        }
    }

    /// Starts the flow (if not started) and waits for its end: the `TokenSet`, or an
    /// `ObAuthError`. Structured concurrency: cancelling the calling `Task` cancels the flow
    /// (unlike `awaitTokens()`, which leaves it running).
    public func signIn() async throws -> TokenSet {
        start()
        return try await withTaskCancellationHandler {
            try await self.awaitTokens()
        } onCancel: {
            self.cancel()
        }
    }
}

/// Bridges a closure to the core's log sink. `Sendable` (checked): the closure is.
final class ClosureLogSink: LogSink, Sendable {
    private let sink: @Sendable (LogRecord) -> Void

    init(_ sink: @escaping @Sendable (LogRecord) -> Void) {
        self.sink = sink
    }

    func log(record: LogRecord) throws {
        sink(record)
    }
}

/// Sends the core's logs (secrets already redacted) at `level` and above to `sink`, e.g.
/// `setLogSink(level: .info) { os_log("%{public}@", $0.message) }`. Called on a background
/// thread, in order.
public func setLogSink(level: LogLevel, _ sink: @escaping @Sendable (LogRecord) -> Void) {
    ObAuthFFI.setLogSink(sink: ClosureLogSink(sink), level: level)
}
