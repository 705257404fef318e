// Ended without tokens: what happened, and a retry only where a new sign-in can help.

import SwiftUI

struct ErrorView: View {
    let error: ErrorScreen
    let onRetry: () -> Void
    let onClose: () -> Void

    /// True while the provider's Retry-After runs: the retry button waits for it.
    @State private var waiting = false

    var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "exclamationmark.triangle.fill")
                .font(.system(size: 56))
                .foregroundColor(.orange)
            Text(error.message)
                .multilineTextAlignment(.center)
            Text("Code: \(error.code)")
                .font(.footnote)
                .foregroundColor(.secondary)
            // Retry for retryLater / userAction / reauthenticate; none for invalidInput / fatal,
            // which a new attempt cannot fix. The actions are closure literals (here and in the
            // other views), not the stored `() -> Void`: a literal formed in `body` is main-actor
            // isolated, which a `@MainActor` button action accepts in Swift 6; a stored
            // non-Sendable function value is refused.
            if let label = error.retryLabel {
                Button(label) { onRetry() }
                    .buttonStyle(.borderedProminent)
                    .disabled(waiting)
            }
            Button("Close") { onClose() }
        }
        .padding()
        .task(id: error) {
            await honourRetryAfter()
        }
    }

    @MainActor
    private func honourRetryAfter() async {
        guard let seconds = error.retryAfter, seconds > 0 else {
            waiting = false
            return
        }
        waiting = true
        try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
        waiting = false
    }
}
