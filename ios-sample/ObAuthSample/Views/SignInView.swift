// The start: one button.

import SwiftUI

struct SignInView: View {
    let onSignIn: () -> Void

    var body: some View {
        VStack(spacing: 24) {
            Image(systemName: "building.columns")
                .font(.system(size: 56))
                .foregroundColor(.accentColor)
            Text("Sign in with your bank to continue.")
                .multilineTextAlignment(.center)
            Button("Sign in with your bank") { onSignIn() }
                .buttonStyle(.borderedProminent)
        }
        .padding()
    }
}
