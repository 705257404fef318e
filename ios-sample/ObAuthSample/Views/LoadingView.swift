// Work the user waits for: starting the login, exchanging the code.

import SwiftUI

struct LoadingView: View {
    let message: String
    let onCancel: () -> Void

    var body: some View {
        VStack(spacing: 24) {
            ProgressView()
            Text(message)
            Button("Cancel", role: .cancel) { onCancel() }
        }
        .padding()
    }
}
