// What became of a Universal Link the app was opened with. The core decides (`handleRedirect`);
// this names the outcomes the app may want to tell the user about.

import Foundation
import ObAuth

public enum DeepLinkResult: Equatable, Sendable {
    /// The login took it (a code, or the bank's error); the state stream shows what follows.
    case handled
    /// Not a redirect of the login in progress: handle it as the app normally would.
    case notOurs
    /// A redirect, but no login is in progress or saved (opened twice, or after sign-out).
    case noLoginInProgress
    /// Ours but changes nothing (a duplicate, or the login already ended): nothing to show.
    case ignored(IgnoredReason)
    /// Ours but refused (forged, malformed, no code); the login keeps waiting for a valid one.
    case rejected(String)

    public static func from(_ outcome: RedirectOutcome) -> DeepLinkResult {
        switch outcome {
        case .notForThisFlow: return .notOurs
        case .codeAccepted, .providerError: return .handled
        case let .ignored(reason): return .ignored(reason)
        case let .rejected(error): return .rejected(error.detail)
        }
    }
}
