// The supervised login (Aiia Enterprise) as a SignInFlow: one line per method, every decision is
// the core's.

import Foundation
import ObAuth

/// `Sendable` without a lock: it holds only the generated `SupervisedLogin`, which is.
public final class SupervisedSignIn: SignInFlow {
    private let login: SupervisedLogin

    public init(_ login: SupervisedLogin) {
        self.login = login
    }

    public func start() { login.start() }

    public func resume() { login.resume() }

    public func screens() -> AsyncStream<UiState> {
        // `states()` registers its observer now; the task only maps what arrives, in order.
        let states = login.states()
        return AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let forward = Task {
                for await state in states {
                    continuation.yield(UiMapping.screen(for: state))
                }
                continuation.finish()
            }
            // The consumer stopped (its task was cancelled): stop mapping.
            continuation.onTermination = { _ in forward.cancel() }
        }
    }

    public func onRestore() -> RestoreAction { RestorePolicy.action(for: login.state()) }

    public func navigation(for url: URL, mainFrame: Bool) -> NavigationAction {
        NavigationAction.from(
            login.decideFrameNavigation(url: url.absoluteString, isMainFrame: mainFrame),
            url: url
        )
    }

    public func deepLink(_ url: URL) -> DeepLinkResult {
        DeepLinkResult.from(login.handleRedirect(url: url.absoluteString))
    }

    public func cancel() { login.cancel() }

    public func persist(to storage: any SecureStorage, key: String) throws {
        try login.persistTo(storage: storage, key: key)
    }
}

/// Supervised logins of one client. The client is built on first use, so that a bad configuration
/// shows as an error screen (InvalidInput naming the field) instead of a crash at launch; a failed
/// build is tried again on the next use.
@MainActor
public final class SupervisedSignInFactory: SignInFlowFactory {
    public let storageKey = "obauth.sample.supervised-login"
    private let config: SampleConfig
    private var client: ObAuthClient?

    public init(config: SampleConfig) {
        self.config = config
    }

    public func create() throws -> any SignInFlow {
        try SupervisedSignIn(builtClient().supervisedLogin(params: config.loginParams))
    }

    public func restore(snapshot: String) throws -> any SignInFlow {
        try SupervisedSignIn(builtClient().restoreSupervisedLogin(snapshot: snapshot))
    }

    private func builtClient() throws -> ObAuthClient {
        if let client {
            return client
        }
        let built = try config.makeClient()
        client = built
        return built
    }
}
