// The bank's page in the WebView, with a way out.

import SwiftUI

struct BankPageView: View {
    let url: URL
    @ObservedObject var model: SignInModel

    var body: some View {
        VStack(spacing: 0) {
            // Every navigation asks the core first (SignInWebView's delegate). When the bank
            // redirects to our Universal Link, the core takes the code and the screen moves on by
            // the state stream; if the redirect never comes, the core's status poll still does.
            SignInWebView(url: url, decide: { model.navigation(for: $0, mainFrame: $1) })
            Button("Cancel", role: .cancel) { model.cancel() }
                .padding()
        }
    }
}
