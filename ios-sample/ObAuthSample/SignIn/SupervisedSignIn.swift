// The supervised login (Aiia Enterprise) as a SignInFlow: one line per method, every decision is
// the core's.

import Foundation
import ObAuth

final class SupervisedSignIn: SignInFlow {
    private let login: SupervisedLogin

    init(_ login: SupervisedLogin) {
        self.login = login
    }

    func start() { login.start() }

    func resume() { login.resume() }

    func screens() -> AsyncStream<UiState> {
        let states = login.states()
        return AsyncStream(bufferingPolicy: .unbounded) { continuation in
            let task = Task {
                for await state in states {
                    continuation.yield(UiMapping.screen(for: state))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func onRestore() -> RestoreAction { RestorePolicy.action(for: login.state()) }

    func navigation(for url: URL) -> NavigationAction {
        NavigationAction.from(login.decideNavigation(url: url.absoluteString), url: url)
    }

    func deepLink(_ url: URL) -> DeepLinkResult {
        DeepLinkResult.from(login.handleRedirect(url: url.absoluteString))
    }

    func cancel() { login.cancel() }

    func persist(to storage: SecureStorage, key: String) throws {
        try login.persistTo(storage: storage, key: key)
    }
}

/// Supervised logins of one client. The client is built on first use, so that a bad
/// configuration shows as an error screen (InvalidInput naming the field) instead of a crash at
/// launch; a failed build is tried again on the next use.
final class SupervisedSignInFactory: SignInFlowFactory {
    let storageKey = "obauth.sample.supervised-login"
    private let config: SampleConfig
    private var client: ObAuthClient?

    init(config: SampleConfig) {
        self.config = config
    }

    func create() throws -> SignInFlow {
        try SupervisedSignIn(builtClient().supervisedLogin(params: config.loginParams))
    }

    func restore(snapshot: String) throws -> SignInFlow {
        try SupervisedSignIn(builtClient().restoreSupervisedLogin(snapshot: snapshot))
    }

    private func builtClient() throws -> ObAuthClient {
        if let client = client {
            return client
        }
        let built = try ObAuthClient(config: config.clientConfig)
        client = built
        return built
    }
}
