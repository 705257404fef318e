// From the core's states and errors to the sample's screens. Pure functions, so the tests check
// every state without a sandbox.

import Foundation
import ObAuth

public enum UiMapping {
    /// The screen for a supervised-login state.
    public static func screen(for state: LoginState) -> UiState {
        switch state {
        case .created:
            return .loading("Starting…")
        case .initializing:
            return .loading("Contacting your bank…")
        case let .awaitingUser(authUrl, _):
            guard let url = URL(string: authUrl) else {
                return .error(ErrorScreen(
                    message: "The bank's page has an invalid address.", code: "invalid_auth_url", category: .fatal
                ))
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
                return .error(ErrorScreen(
                    message: "You cancelled the sign-in at your bank.", code: "cancelled_by_user", category: .userAction
                ))
            }
        case .timedOut:
            return .error(ErrorScreen(
                message: "The sign-in took too long and was stopped.", code: "timed_out", category: .retryLater
            ))
        case .notApplicable:
            return .error(ErrorScreen(
                message: "This bank does not need a sign-in session.", code: "not_applicable", category: .fatal
            ))
        }
    }

    /// The screen for anything thrown: ObAuth's typed errors, or (never expected from the core)
    /// anything else, which no retry can fix.
    public static func errorScreen(for error: any Error) -> ErrorScreen {
        guard let error = error as? ObAuthError else {
            return ErrorScreen(message: "Sign-in is not possible right now.", code: "internal", category: .fatal)
        }
        var retryAfter: TimeInterval?
        if case let .RetryLater(_, _, retryAfterMs, _) = error, let ms = retryAfterMs {
            retryAfter = TimeInterval(ms) / 1000
        }
        return ErrorScreen(message: message(for: error), code: error.code, category: error.category, retryAfter: retryAfter)
    }

    /// The screen for a failure of the app's own storage calls (load at launch, remove at sign-out):
    /// the same error the core reports when its snapshot saves fail (retryLater, code `storage`),
    /// whatever the storage threw.
    public static func storageErrorScreen(for error: any Error) -> ErrorScreen {
        let detail = (error as? ObAuthError)?.detail ?? String(describing: error)
        return errorScreen(for: ObAuthError.RetryLater(code: "storage", detail: detail, retryAfterMs: nil, correlationId: nil))
    }

    /// Words for the user; the code stays available for support and logs (it holds no secret).
    private static func message(for error: ObAuthError) -> String {
        switch error {
        case let .InvalidInput(field, _, _, _):
            return field.isEmpty ? "The saved sign-in could not be read." : "The app is misconfigured (\(field))."
        case let .RetryLater(code, _, _, _):
            return code == "storage"
                ? "The app could not save the sign-in securely."
                : "Your bank or the network is not answering right now."
        case let .UserAction(code, _, _):
            return code == "cancelled_by_user"
                ? "You cancelled the sign-in at your bank."
                : "The sign-in at your bank did not succeed."
        case .Reauthenticate:
            return "The sign-in expired before it completed."
        case let .Fatal(code, _, _):
            return code == "bad_client_credentials"
                ? "The app's credentials were refused by the provider."
                : "Sign-in is not possible right now."
        }
    }
}
