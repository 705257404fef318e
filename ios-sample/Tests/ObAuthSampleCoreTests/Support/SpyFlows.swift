// The supervised login behind a recorder: what the controller asked of each flow it was given,
// for the lifecycle rules no screen shows (a replaced flow is cancelled, a closed one is not).

import Foundation
import ObAuth
import ObAuthSampleCore
import Synchronization

final class SpyFlow: SignInFlow {
    /// The real flow, to ask the core what became of it.
    let inner: any SignInFlow
    private let cancels = Mutex(0)

    init(_ inner: any SignInFlow) {
        self.inner = inner
    }

    /// How often the controller cancelled this flow.
    var cancelCount: Int { cancels.withLock { $0 } }

    func start() { inner.start() }
    func resume() { inner.resume() }
    func screens() -> AsyncStream<UiState> { inner.screens() }
    func onRestore() -> RestoreAction { inner.onRestore() }
    func navigation(for url: URL, mainFrame: Bool) -> NavigationAction {
        inner.navigation(for: url, mainFrame: mainFrame)
    }
    func deepLink(_ url: URL) -> DeepLinkResult { inner.deepLink(url) }
    func persist(to storage: any SecureStorage, key: String) throws { try inner.persist(to: storage, key: key) }

    func cancel() {
        cancels.withLock { $0 += 1 }
        inner.cancel()
    }
}

@MainActor
final class SpyFlowFactory: SignInFlowFactory {
    private let inner: SupervisedSignInFactory
    /// Every flow handed to the controller, in order.
    private(set) var flows: [SpyFlow] = []

    init(config: SampleConfig) {
        inner = SupervisedSignInFactory(config: config)
    }

    var storageKey: String { inner.storageKey }

    func create() throws -> any SignInFlow {
        record(try inner.create())
    }

    func restore(snapshot: String) throws -> any SignInFlow {
        record(try inner.restore(snapshot: snapshot))
    }

    private func record(_ flow: any SignInFlow) -> SpyFlow {
        let spy = SpyFlow(flow)
        flows.append(spy)
        return spy
    }
}
