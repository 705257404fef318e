// The seam between the model and the SDK's flows. The supervised login is the one flow today; a
// connect (authorization-code) flow becomes a second SignInFlow + SignInFlowFactory, and the
// model, the screens and the WebView stay as they are.

import Foundation
import ObAuth

/// One sign-in of the SDK, as the model drives it.
protocol SignInFlow: AnyObject {
    /// Begins (does nothing if already begun).
    func start()
    /// Continues a flow restored from its snapshot (polling, an exchange in flight).
    func resume()
    /// The screens from the current state on; finishes after the terminal state.
    func screens() -> AsyncStream<UiState>
    /// What to do with this flow when it was restored at launch.
    func onRestore() -> RestoreAction
    /// The core's navigation policy for a URL the WebView is about to load.
    func navigation(for url: URL) -> NavigationAction
    /// Hands a Universal Link (or any URL the app was opened with) to the flow.
    func deepLink(_ url: URL) -> DeepLinkResult
    /// Ends the flow; nothing is exchanged afterwards. No-op once finished.
    func cancel()
    /// Saves the snapshot under `key` now and after every state change.
    func persist(to storage: SecureStorage, key: String) throws
}

/// Creates and restores one kind of flow.
protocol SignInFlowFactory: AnyObject {
    /// Where this kind of flow keeps its snapshot: one key per kind, since a snapshot restores
    /// only as the kind that wrote it.
    var storageKey: String { get }
    /// A new flow, not started. Throws `ObAuthError` for a bad configuration.
    func create() throws -> SignInFlow
    /// The flow a snapshot describes. Throws `ObAuthError.InvalidInput` if it is unreadable.
    func restore(snapshot: String) throws -> SignInFlow
}

/// What a flow restored at launch is good for.
enum RestoreAction: Equatable {
    /// In progress when the app was killed: continue it.
    case resume
    /// Finished with tokens: show the signed-in screen.
    case show
    /// Never started, or ended without tokens before the app died (the user saw that then):
    /// removed from storage.
    case discard
}

enum RestorePolicy {
    static func action(for state: LoginState) -> RestoreAction {
        switch state {
        case .authenticated: return .show
        case .created: return .discard
        default: return state.isTerminal ? .discard : .resume
        }
    }
}

/// What the WebView does with a URL. The decision is the core's (`decideNavigation`).
enum NavigationAction: Equatable {
    /// Let the WebView load it.
    case load
    /// This login's redirect, already handed to the core: cancel it in the WebView; the state
    /// stream shows what follows.
    case intercepted
    /// Hand it to the OS (the bank's app, `tel:`, `bankid:`); cancel it in the WebView.
    case openExternally(URL)
    /// Never load it (`javascript:`, plain http to a remote host, `file:`).
    case blocked

    static func from(_ navigation: Navigation, url: URL) -> NavigationAction {
        switch navigation {
        case .allow: return .load
        case .intercept: return .intercepted
        case .openExternally: return .openExternally(url)
        case .block: return .blocked
        }
    }
}

/// What became of a Universal Link the app was opened with.
enum DeepLinkResult: Equatable {
    /// The login took it (a code, or the bank's error); the state stream shows what follows.
    case handled
    /// Not a redirect of the login in progress: handle it as the app normally would.
    case notOurs
    /// A redirect, but no login is in progress or saved.
    case noLoginInProgress
    /// Ours but changes nothing (a duplicate, or the login already ended).
    case ignored(String)
    /// Ours but refused (forged, malformed, no code); the login keeps waiting for a valid one.
    case rejected(String)

    static func from(_ outcome: RedirectOutcome) -> DeepLinkResult {
        switch outcome {
        case .notForThisFlow: return .notOurs
        case .codeAccepted, .providerError: return .handled
        case let .ignored(reason): return .ignored(String(describing: reason))
        case let .rejected(error): return .rejected(error.detail)
        }
    }
}
