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
    public var code: String { fields.code }

    /// The human-readable explanation (never contains a secret).
    public var detail: String { fields.detail }

    /// The correlation id of the flow that failed (sent as `X-Correlation-Id` on each of its
    /// requests), for a support ticket to quote; `nil` for an error that belongs to no flow.
    public var correlationId: String? { fields.correlationId }

    /// The fields every case carries, read in one place.
    private var fields: (code: String, detail: String, correlationId: String?) {
        switch self {
        case let .InvalidInput(_, code, detail, id): return (code, detail, id)
        case let .RetryLater(code, detail, _, id): return (code, detail, id)
        case let .UserAction(code, detail, id): return (code, detail, id)
        case let .Reauthenticate(code, detail, id): return (code, detail, id)
        case let .Fatal(code, detail, id): return (code, detail, id)
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

/// A flow's state, as `states()` streams it: the stream finishes after a terminal one.
protocol FlowState: Sendable {
    var isTerminal: Bool { get }
}

extension LoginState: FlowState {}
extension AuthorizationState: FlowState {}

/// Bridges the core's state observer (`StateObserver` of a login, `AuthorizationStateObserver`
/// of an authorization flow) to an `AsyncStream` continuation. `Sendable` (checked): it holds
/// only the continuation, which is.
final class StreamObserver<State: FlowState>: Sendable {
    private let continuation: AsyncStream<State>.Continuation

    init(_ continuation: AsyncStream<State>.Continuation) {
        self.continuation = continuation
    }

    /// The stream behind `states()`: every state the observer that `register` hands the flow
    /// sees, the terminal one last. No state is dropped (unbounded buffer: a flow has a handful
    /// of states).
    static func stream(_ register: (StreamObserver) -> Void) -> AsyncStream<State> {
        AsyncStream(bufferingPolicy: .unbounded) { continuation in
            register(StreamObserver(continuation))
        }
    }

    fileprivate func forward(_ state: State) {
        continuation.yield(state)
        if state.isTerminal {
            continuation.finish()
        }
    }
}

extension StreamObserver: StateObserver where State == LoginState {
    func onState(state: LoginState) throws {
        forward(state)
    }
}

extension StreamObserver: AuthorizationStateObserver where State == AuthorizationState {
    func onState(state: AuthorizationState) throws {
        forward(state)
    }
}

/// The body of `signIn()`: `start`, then `awaitTokens`' answer. Structured concurrency:
/// cancelling the calling `Task` calls `cancel`.
func startAndAwaitEnd<Tokens>(
    start: () -> Void,
    awaitTokens: () async throws -> Tokens,
    cancel: @escaping @Sendable () -> Void
) async throws -> Tokens {
    start()
    return try await withTaskCancellationHandler(operation: awaitTokens, onCancel: cancel)
}

extension SupervisedLogin {
    /// Every state of the login from now on, in order, starting with the current one; the
    /// stream finishes after the terminal state. No state is dropped (unbounded buffer: a login
    /// has a handful of states). Each call registers its own observer.
    public func states() -> AsyncStream<LoginState> {
        StreamObserver.stream { addObserver(observer: $0) }
    }

    /// Starts the login (if not started) and waits for its end: the tokens, or an
    /// `ObAuthError`. Structured concurrency: cancelling the calling `Task` cancels the login
    /// (unlike `awaitTokens()`, which leaves it running).
    public func signIn() async throws -> SupervisedTokens {
        try await startAndAwaitEnd(start: start, awaitTokens: awaitTokens, cancel: { self.cancel() })
    }
}

extension AuthorizationFlow {
    /// Every state of the authorization flow (connect, PKCE) from now on, in order, starting
    /// with the current one; the stream finishes after the terminal state. No state is dropped.
    /// Each call registers its own observer.
    public func states() -> AsyncStream<AuthorizationState> {
        StreamObserver.stream { addObserver(observer: $0) }
    }

    /// Starts the flow (if not started) and waits for its end: the `TokenSet`, or an
    /// `ObAuthError`. Structured concurrency: cancelling the calling `Task` cancels the flow
    /// (unlike `awaitTokens()`, which leaves it running).
    public func signIn() async throws -> TokenSet {
        try await startAndAwaitEnd(start: start, awaitTokens: awaitTokens, cancel: { self.cancel() })
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
