// Signed in: the bank and when the tokens expire.

import SwiftUI

struct SuccessView: View {
    let providerId: String
    let sessionExpires: Date
    let loginExpires: Date
    let onSignOut: () -> Void

    var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "checkmark.seal.fill")
                .font(.system(size: 56))
                .foregroundColor(.green)
            Text("Signed in at \(providerId)")
                .font(.headline)
            // The session token's expiry slides: every session API call may move it later.
            expiry("Session token expires", sessionExpires)
            expiry("Login token expires", loginExpires)
            Button("Sign out") { onSignOut() }
                .padding(.top)
        }
        .padding()
    }

    private func expiry(_ label: String, _ date: Date) -> some View {
        VStack(spacing: 4) {
            Text("\(label) \(ExpiryText.describe(date))")
            Text(date, style: .date) + Text(" ") + Text(date, style: .time)
        }
        .font(.subheadline)
        .foregroundColor(.secondary)
    }
}
