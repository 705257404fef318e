// The SwiftUI face of SignInController (Sources/ObAuthSampleCore): the controller decides, this
// only mirrors its screen and notice into @Published properties. Apple-only (Combine), like the
// rest of this folder; the logic it forwards to is compiled and tested on Linux.

import Combine
import Foundation
import ObAuth

/// The views observe this; every action goes straight to the controller.
@MainActor
final class SignInModel: ObservableObject {
    @Published private(set) var screen: UiState
    /// A one-off message about a Universal Link (shown as an alert).
    @Published private(set) var notice: String?

    private let controller: SignInController

    /// Mirrors `controller` from now on. The controller calls back on the main actor, in the same
    /// turn as the change, so the views never lag behind it.
    init(controller: SignInController) {
        self.controller = controller
        screen = controller.screen
        notice = controller.notice
        controller.onChange = { [weak self] in
            self?.mirror()
        }
    }

    /// The model of this app run: the configuration of this build, Keychain storage, and whatever
    /// the previous run left (restored before any view or Universal Link can ask for it).
    static func launch() -> SignInModel {
        let controller = SignInController(
            flows: SupervisedSignInFactory(config: .fromBundle()),
            storage: KeychainStorage()
        )
        let model = SignInModel(controller: controller)
        controller.restore()
        return model
    }

    /// The alert's binding (`$model.isShowingNotice`): dismissing it clears the notice.
    var isShowingNotice: Bool {
        get { notice != nil }
        set {
            if !newValue { controller.dismissNotice() }
        }
    }

    func signIn() { controller.signIn() }

    func retry() { controller.retry() }

    func cancel() { controller.cancel() }

    func signOut() { controller.signOut() }

    /// What the WebView must do with `url` (asked for every navigation).
    func navigation(for url: URL, mainFrame: Bool) -> NavigationAction {
        controller.navigation(for: url, mainFrame: mainFrame)
    }

    /// Hands a Universal Link (`onOpenURL`) to the flow.
    @discardableResult
    func handleUniversalLink(_ url: URL) -> DeepLinkResult { controller.handleUniversalLink(url) }

    private func mirror() {
        // Assigned only when different: every assignment to @Published re-renders the views.
        if screen != controller.screen { screen = controller.screen }
        if notice != controller.notice { notice = controller.notice }
    }
}
