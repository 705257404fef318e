// What the sample's screen shows, derived from the flow's states. The same screens, texts and
// retry rules as the Android sample (android-sample/app/src/core/kotlin), where they are tested
// on the JVM against the real library.

import Foundation
import ObAuth

/// One screen of the sample.
enum UiState: Equatable {
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

/// An error as shown: words for the user, the stable code for support, and whether a retry
/// (a new sign-in) can help, which depends on the category only.
struct ErrorScreen: Equatable {
    let message: String
    let code: String
    let category: ErrorCategory
    /// The provider's Retry-After, when it sent one: wait before offering the retry.
    var retryAfter: TimeInterval?

    var retryLabel: String? { Retry.label(for: category) }
    var canRetry: Bool { retryLabel != nil }
}

enum Retry {
    /// The retry button's label, or nil when retrying cannot help (the app must be fixed).
    static func label(for category: ErrorCategory) -> String? {
        switch category {
        case .retryLater: return "Try again"
        case .userAction: return "Start again"
        case .reauthenticate: return "Sign in again"
        case .invalidInput, .fatal: return nil
        }
    }
}

enum UiMapping {
    /// The screen for a supervised-login state.
    static func screen(for state: LoginState) -> UiState {
        switch state {
        case .created:
            return .loading("Starting…")
        case .initializing:
            return .loading("Contacting your bank…")
        case let .awaitingUser(authUrl, _):
            guard let url = URL(string: authUrl) else {
                return .error(ErrorScreen(message: "The bank's page has an invalid address.", code: "invalid_auth_url", category: .fatal))
            }
            return .showWebView(url)
        case .codeReceived, .exchanging:
            return .loading("Completing sign-in…")
        case let .authenticated(_, sessionExpires, loginExpires, providerId):
            return .success(providerId: providerId, sessionExpires: sessionExpires, loginExpires: loginExpires)
        case let .failed(error):
            return .error(errorScreen(for: error))
        case let .cancelled(by):
            switch by {
            // The app cancelled (the user tapped Cancel in the app): back to the start, no error.
            case .host:
                return .idle
            case .user:
                return .error(ErrorScreen(message: "You cancelled the sign-in at your bank.", code: "cancelled_by_user", category: .userAction))
            }
        case .timedOut:
            return .error(ErrorScreen(message: "The sign-in took too long and was stopped.", code: "timed_out", category: .retryLater))
        case .notApplicable:
            return .error(ErrorScreen(message: "This bank does not need a sign-in session.", code: "not_applicable", category: .fatal))
        }
    }

    /// The screen for anything thrown: ObAuth's typed errors, or (never expected) anything else.
    static func errorScreen(for error: Error) -> ErrorScreen {
        guard let error = error as? ObAuthError else {
            return ErrorScreen(message: "Sign-in is not possible right now.", code: "internal", category: .fatal)
        }
        var retryAfter: TimeInterval?
        if case let .RetryLater(_, _, retryAfterMs) = error, let ms = retryAfterMs {
            retryAfter = TimeInterval(ms) / 1000
        }
        return ErrorScreen(message: message(for: error), code: error.code, category: error.category, retryAfter: retryAfter)
    }

    private static func message(for error: ObAuthError) -> String {
        switch error {
        case let .InvalidInput(field, _, _):
            return field.isEmpty ? "The saved sign-in could not be read." : "The app is misconfigured (\(field))."
        case let .RetryLater(code, _, _):
            return code == "storage" ? "The app could not save the sign-in securely." : "Your bank or the network is not answering right now."
        case let .UserAction(code, _):
            return code == "cancelled_by_user" ? "You cancelled the sign-in at your bank." : "The sign-in at your bank did not succeed."
        case .Reauthenticate:
            return "The sign-in expired before it completed."
        case let .Fatal(code, _):
            return code == "bad_client_credentials" ? "The app's credentials were refused by the provider." : "Sign-in is not possible right now."
        }
    }
}

/// Token expiry as the success screen says it ("in 59 min"): seconds are noise to a user.
enum ExpiryText {
    static func describe(_ expires: Date, now: Date = Date()) -> String {
        let left = expires.timeIntervalSince(now)
        switch left {
        case ...0: return "expired"
        case ..<60: return "in less than a minute"
        case ..<7_200: return "in \(Int(left / 60)) min"
        case ..<172_800: return "in \(Int(left / 3_600)) h"
        default: return "in \(Int(left / 86_400)) days"
        }
    }
}
