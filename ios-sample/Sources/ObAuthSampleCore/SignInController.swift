// The sample's sign-in logic, free of Combine, SwiftUI and UIKit: it owns the flow's lifecycle and
// turns it into one `screen`. The app's SignInModel (an ObservableObject) mirrors it for SwiftUI;
// the tests drive it against the real library and a live sandbox. The same design as the Android
// sample's SignInController.

import Foundation
import ObAuth

/// Owns at most one flow at a time.
///
/// - `restore()` at launch, before any Universal Link is handled: a login the OS killed while the
///   user was at the bank continues from its snapshot in `storage`; a finished one shows as signed
///   in.
/// - `signIn()` / `retry()` start a new flow (replacing any other), persisted to `storage` from
///   the first moment, so the app may be killed at any point after.
/// - `navigation(for:)` and `handleUniversalLink(_:)` hand URLs to the flow's core and say what the
///   glue must do.
/// - `screen` follows the flow's states and `notice` reports refused links; `onChange` is called
///   after either changes. The glue only renders them.
///
/// Main-actor isolated: the UI calls it there, and the flow's states are applied there in order.
@MainActor
public final class SignInController {
    /// The screen to show.
    public private(set) var screen: UiState = .idle {
        didSet {
            if screen != oldValue { onChange?() }
        }
    }

    /// A one-off message about a Universal Link (the app shows it as an alert), until dismissed.
    public private(set) var notice: String? {
        didSet {
            if notice != oldValue { onChange?() }
        }
    }

    /// Called on the main actor after `screen` or `notice` changed (not for an equal value). The
    /// app's ObservableObject copies both into its `@Published` properties here.
    public var onChange: (@MainActor () -> Void)?

    private struct Active {
        let flow: any SignInFlow
        let storage: RetirableStorage
        /// Applies the flow's screens; cancelled when the flow is retired.
        let follower: Task<Void, Never>
        /// Tells this flow's screens from a replaced one's.
        let generation: Int
    }

    /// The codes of `restoreSupervisedLogin` for a snapshot that can never be restored.
    private static let unreadableSnapshot: Set<String> = ["invalid_snapshot", "unsupported_snapshot_version"]

    private let flows: any SignInFlowFactory
    private let storage: any SecureStorage
    private var current: Active?
    private var generations = 0

    public init(flows: any SignInFlowFactory, storage: any SecureStorage) {
        self.flows = flows
        self.storage = storage
    }

    /// Picks up the saved flow, if any. Returns what was done with it, or nil if nothing was saved
    /// (or storage or the configuration failed, which `screen` then shows). Call once, at launch.
    @discardableResult
    public func restore() -> RestoreAction? {
        let saved: String?
        do {
            saved = try storage.load(key: flows.storageKey)
        } catch {
            screen = .error(UiMapping.storageErrorScreen(for: error))
            return nil
        }
        guard let snapshot = saved else { return nil }
        let flow: any SignInFlow
        do {
            flow = try flows.restore(snapshot: snapshot)
        } catch let error as ObAuthError where Self.unreadableSnapshot.contains(error.code) {
            // Corrupt, written by a newer app version, or for another client id: nothing to continue.
            forget()
            return .discard
        } catch {
            // The app, not the snapshot, is at fault (e.g. a misconfigured API URL): keep the saved
            // login for a fixed build and say what is wrong.
            screen = .error(UiMapping.errorScreen(for: error))
            return nil
        }
        let action = flow.onRestore()
        switch action {
        case .discard:
            forget()
        case .show:
            activate(flow)
        case .resume:
            if activate(flow) {
                flow.resume()
            }
        }
        return action
    }

    /// Starts a new sign-in, cancelling one in progress.
    public func signIn() {
        retire(cancel: true)
        screen = .loading("Starting…")
        let flow: any SignInFlow
        do {
            flow = try flows.create()
        } catch {
            screen = .error(UiMapping.errorScreen(for: error))
            return
        }
        if activate(flow) {
            flow.start()
        }
    }

    /// Starts again if the error on screen allows it; returns whether it did.
    @discardableResult
    public func retry() -> Bool {
        guard case let .error(error) = screen, error.canRetry else { return false }
        signIn()
        return true
    }

    /// The user gave up: the flow ends as cancelled by the app, and the screen goes back to idle
    /// (through the flow's states). Its cancelled snapshot stays saved; the next launch discards it.
    public func cancel() {
        if let current {
            current.flow.cancel()
        } else {
            screen = .idle
        }
    }

    /// Forgets the sign-in: the flow and its snapshot (which holds the tokens) are gone. If the
    /// snapshot cannot be removed, the storage error stays on screen instead of a misleading idle.
    public func signOut() {
        retire(cancel: true)
        if forget() {
            screen = .idle
        }
    }

    /// What the WebView must do with `url`, in the main frame or a subframe (`mainFrame`
    /// false: never the redirect, never anything outside the app). Without a flow, nothing is
    /// loaded.
    public func navigation(for url: URL, mainFrame: Bool = true) -> NavigationAction {
        current?.flow.navigation(for: url, mainFrame: mainFrame) ?? .blocked
    }

    /// Hands a URL the app was opened with (Universal Link) to the flow. A link that cannot be used
    /// sets `notice`.
    @discardableResult
    public func handleUniversalLink(_ url: URL) -> DeepLinkResult {
        let result = current?.flow.deepLink(url) ?? .noLoginInProgress
        switch result {
        case .handled, .notOurs, .ignored:
            break
        case .noLoginInProgress:
            notice = "That sign-in link is no longer in use. Start the sign-in again."
        case let .rejected(detail):
            notice = "The sign-in link was refused: \(detail)"
        }
        return result
    }

    /// The user has read the notice.
    public func dismissNotice() {
        notice = nil
    }

    /// Lets go of the flow without cancelling it, as when the process ends: its snapshot stays
    /// saved, and so do the saves still on their way (nothing replaces this flow), so the next
    /// launch resumes it where it got to; the deadline still applies. The tests call this to play
    /// the OS killing the app; `screen` no longer changes afterwards.
    public func close() {
        retire(cancel: false, dropLateSaves: false)
    }

    /// Makes `flow` the current one: persisted first, then its states drive `screen`.
    @discardableResult
    private func activate(_ flow: any SignInFlow) -> Bool {
        retire(cancel: true)
        let guarded = RetirableStorage(storage)
        do {
            try flow.persist(to: guarded, key: flows.storageKey)
        } catch {
            // Without a saved snapshot the login would not survive the app being killed. The flow
            // was not started (or resumed) yet: dropping it ends it.
            screen = .error(UiMapping.errorScreen(for: error))
            return false
        }
        generations += 1
        let generation = generations
        // Registered now (before `start()` / `resume()`), so no state is missed. The task holds the
        // stream, not the flow: once retired, the flow is released at once.
        let screens = flow.screens()
        let follower = Task { [weak self] in
            for await next in screens {
                guard let self, self.current?.generation == generation else { return }
                self.screen = next
            }
        }
        current = Active(flow: flow, storage: guarded, follower: follower, generation: generation)
        return true
    }

    /// Drops the current flow: its states are ignored from now on and, unless told otherwise, its
    /// late snapshot writes are discarded (another flow takes its storage key, or none should
    /// have it).
    private func retire(cancel: Bool, dropLateSaves: Bool = true) {
        guard let old = current else { return }
        current = nil
        if dropLateSaves {
            old.storage.retire()
        }
        old.follower.cancel()
        if cancel {
            old.flow.cancel()
        }
    }

    /// Removes the saved flow; returns whether that worked (if not, `screen` shows why).
    @discardableResult
    private func forget() -> Bool {
        do {
            try storage.remove(key: flows.storageKey)
            return true
        } catch {
            screen = .error(UiMapping.storageErrorScreen(for: error))
            return false
        }
    }
}
