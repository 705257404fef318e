// The sample's sign-in logic: owns the flow's lifecycle and publishes the screen. The same
// design as the Android sample's SignInController (tested there on the JVM).

import Foundation
import ObAuth

/// Owns at most one flow at a time.
///
/// - `restore()` at launch, before any Universal Link is handled: a login the OS killed while the
///   user was at the bank continues from its Keychain snapshot; a finished one shows as signed in.
/// - `signIn()` / `retry()` start a new flow (replacing any other), persisted from the first
///   moment, so the app may be killed at any point after.
/// - `navigation(for:)` and `handleUniversalLink(_:)` hand URLs to the flow's core.
/// - `screen` follows the flow's states; the views only render it.
@MainActor
final class SignInModel: ObservableObject {
    @Published private(set) var screen: UiState = .idle
    /// A one-off message about a Universal Link (shown as an alert).
    @Published var notice: String?

    private struct Active {
        let flow: SignInFlow
        let storage: RetirableStorage
        let task: Task<Void, Never>
    }

    /// The codes of `restoreSupervisedLogin` for a snapshot that can never be restored.
    private static let unreadableSnapshot: Set<String> = ["invalid_snapshot", "unsupported_snapshot_version"]

    private let flows: SignInFlowFactory
    private let storage: SecureStorage
    private var current: Active?

    init(flows: SignInFlowFactory, storage: SecureStorage) {
        self.flows = flows
        self.storage = storage
    }

    /// The model of this app run: the sandbox configuration, Keychain storage, and whatever the
    /// previous run left (restored before any view or Universal Link can ask for it).
    static func launch() -> SignInModel {
        let model = SignInModel(flows: SupervisedSignInFactory(config: .fromBundle()), storage: KeychainStorage())
        model.restore()
        return model
    }

    /// Picks up the saved flow, if any. Returns what was done with it, or nil if nothing was saved.
    @discardableResult
    func restore() -> RestoreAction? {
        let saved: String?
        do {
            saved = try storage.load(key: flows.storageKey)
        } catch {
            screen = .error(UiMapping.errorScreen(for: error))
            return nil
        }
        guard let snapshot = saved else { return nil }
        let flow: SignInFlow
        do {
            flow = try flows.restore(snapshot: snapshot)
        } catch let error as ObAuthError where !Self.unreadableSnapshot.contains(error.code) {
            // The app, not the snapshot, is at fault (e.g. a misconfigured API URL): keep the
            // saved login for a fixed build and say what is wrong.
            screen = .error(UiMapping.errorScreen(for: error))
            return nil
        } catch {
            // Corrupt, written by a newer app version, or for another client id: nothing to continue.
            forget()
            return .discard
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
    func signIn() {
        retire(cancel: true)
        screen = .loading("Starting…")
        do {
            let flow = try flows.create()
            if activate(flow) {
                flow.start()
            }
        } catch {
            screen = .error(UiMapping.errorScreen(for: error))
        }
    }

    /// Starts again if the error on screen allows it.
    func retry() {
        guard case let .error(error) = screen, error.canRetry else { return }
        signIn()
    }

    /// The user gave up: the flow ends as cancelled by the app, and the screen goes back to idle.
    func cancel() {
        if let current = current {
            current.flow.cancel()
        } else {
            screen = .idle
        }
    }

    /// Forgets the sign-in: the flow and its snapshot (which holds the tokens) are gone.
    func signOut() {
        retire(cancel: true)
        forget()
        screen = .idle
    }

    /// What the WebView must do with `url`. Without a flow, nothing is loaded.
    func navigation(for url: URL) -> NavigationAction {
        current?.flow.navigation(for: url) ?? .blocked
    }

    /// Hands a URL the app was opened with (Universal Link) to the flow.
    @discardableResult
    func handleUniversalLink(_ url: URL) -> DeepLinkResult {
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

    /// Makes `flow` the current one: persisted first, then its states drive `screen`.
    @discardableResult
    private func activate(_ flow: SignInFlow) -> Bool {
        retire(cancel: true)
        let guarded = RetirableStorage(storage)
        do {
            try flow.persist(to: guarded, key: flows.storageKey)
        } catch {
            // Without a saved snapshot the login would not survive the app being killed.
            screen = .error(UiMapping.errorScreen(for: error))
            return false
        }
        let id = ObjectIdentifier(flow)
        let task = Task { [weak self] in
            for await next in flow.screens() {
                guard let self = self, self.isCurrent(id) else { return }
                self.screen = next
            }
        }
        current = Active(flow: flow, storage: guarded, task: task)
        return true
    }

    private func isCurrent(_ id: ObjectIdentifier) -> Bool {
        guard let current = current else { return false }
        return ObjectIdentifier(current.flow) == id
    }

    /// Drops the current flow: its late snapshot writes are discarded, its states ignored.
    private func retire(cancel: Bool) {
        guard let old = current else { return }
        current = nil
        old.storage.retire()
        old.task.cancel()
        if cancel {
            old.flow.cancel()
        }
    }

    private func forget() {
        do {
            try storage.remove(key: flows.storageKey)
        } catch {
            screen = .error(UiMapping.errorScreen(for: error))
        }
    }
}
