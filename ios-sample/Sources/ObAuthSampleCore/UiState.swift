// What the sample's screen shows. The SwiftUI views render it; the tests assert on it. The same
// screens, texts and retry rules as the Android sample (android-sample/app/src/core/kotlin).

import Foundation
import ObAuth

/// One screen of the sample, derived from the flow's states by `UiMapping`.
public enum UiState: Equatable, Sendable {
    /// Nothing in progress: the sign-in button.
    case idle
    /// Work the user waits for (starting, exchanging the code).
    case loading(String)
    /// The bank's page: load this URL in the WebView (once; later pages are the WebView's own).
    case showWebView(URL)
    /// Signed in. The session token's expiry slides with use; the login token's does not.
    case success(providerId: String, sessionExpires: Date, loginExpires: Date)
    /// Ended without tokens.
    case error(ErrorScreen)
}

/// An error as shown: words for the user, the stable code for support, and whether a retry (a new
/// sign-in) can help, which depends on the category only (see `Retry`).
public struct ErrorScreen: Equatable, Sendable {
    public let message: String
    public let code: String
    public let category: ErrorCategory
    /// The provider's Retry-After, when it sent one: wait this long before offering the retry.
    public let retryAfter: TimeInterval?

    public init(message: String, code: String, category: ErrorCategory, retryAfter: TimeInterval? = nil) {
        self.message = message
        self.code = code
        self.category = category
        self.retryAfter = retryAfter
    }

    /// The retry button's label, or nil when no retry is offered.
    public var retryLabel: String? { Retry.label(for: category) }
    public var canRetry: Bool { retryLabel != nil }
}

/// What a retry means for each error category; the same table as the Android sample's.
public enum Retry {
    /// The retry button's label, or nil when retrying cannot help (the app must be fixed).
    public static func label(for category: ErrorCategory) -> String? {
        switch category {
        case .retryLater: return "Try again"
        case .userAction: return "Start again"
        case .reauthenticate: return "Sign in again"
        case .invalidInput, .fatal: return nil
        }
    }
}
