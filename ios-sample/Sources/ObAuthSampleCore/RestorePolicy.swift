// What a flow restored at launch is good for: the one rule behind `SignInController.restore()`.

import ObAuth

public enum RestoreAction: Equatable, Sendable {
    /// In progress when the app was killed: continue it (and show its current screen).
    case resume
    /// Finished with tokens: show the signed-in screen; nothing to continue.
    case show
    /// Nothing worth showing: never started, or ended without tokens before the app died (the
    /// user saw that then). Removed from storage.
    case discard
}

public enum RestorePolicy {
    public static func action(for state: LoginState) -> RestoreAction {
        switch state {
        case .authenticated: return .show
        case .created: return .discard
        default: return state.isTerminal ? .discard : .resume
        }
    }
}
