// The seam between the controller and the SDK's flows. The supervised login is the one flow
// today; a connect (authorization-code) flow becomes a second SignInFlow + SignInFlowFactory, and
// the controller, the screens and the WebView glue stay as they are.

import Foundation
import ObAuth

/// One sign-in of the SDK, as the controller drives it. `Sendable`: the core calls back on its own
/// threads, and the flow's objects (the generated `SupervisedLogin`) are thread-safe.
public protocol SignInFlow: AnyObject, Sendable {
    /// Begins (does nothing if already begun).
    func start()
    /// Continues a flow restored from its snapshot (polling, an exchange in flight).
    func resume()
    /// The screens from the current state on; finishes after the terminal state. Registers its
    /// observer before returning, so no state after the call is missed.
    func screens() -> AsyncStream<UiState>
    /// What to do with this flow when it was restored at launch.
    func onRestore() -> RestoreAction
    /// The core's navigation policy for a URL the WebView is about to load, in the main frame
    /// or (`mainFrame == false`, `WKNavigationAction.targetFrame?.isMainFrame`) a subframe.
    func navigation(for url: URL, mainFrame: Bool) -> NavigationAction
    /// Hands a Universal Link (or any URL the app was opened with) to the flow.
    func deepLink(_ url: URL) -> DeepLinkResult
    /// Ends the flow; nothing is exchanged afterwards. No-op once finished.
    func cancel()
    /// Saves the snapshot under `key` now and after every state change.
    func persist(to storage: any SecureStorage, key: String) throws
}

/// Creates and restores one kind of flow. Main-actor isolated like the controller that uses it,
/// so a factory may cache what it builds (the client) without a lock.
@MainActor
public protocol SignInFlowFactory: AnyObject {
    /// Where this kind of flow keeps its snapshot: one key per kind, since a snapshot restores
    /// only as the kind that wrote it.
    var storageKey: String { get }
    /// A new flow, not started. Throws `ObAuthError` for a bad configuration.
    func create() throws -> any SignInFlow
    /// The flow a snapshot describes. Throws `ObAuthError.InvalidInput` if it is unreadable.
    func restore(snapshot: String) throws -> any SignInFlow
}

extension SignInFlow {
    /// The main frame's navigation policy for `url`.
    public func navigation(for url: URL) -> NavigationAction {
        navigation(for: url, mainFrame: true)
    }
}
