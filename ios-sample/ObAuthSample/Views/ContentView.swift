// Renders the model's screen; every action goes back to the model.

import SwiftUI

struct ContentView: View {
    @ObservedObject var model: SignInModel

    var body: some View {
        NavigationView {
            Group {
                switch model.screen {
                case .idle:
                    SignInView(onSignIn: { model.signIn() })
                case let .loading(message):
                    LoadingView(message: message, onCancel: { model.cancel() })
                case let .showWebView(url):
                    BankPageView(url: url, model: model)
                case let .success(providerId, sessionExpires, loginExpires):
                    SuccessView(
                        providerId: providerId,
                        sessionExpires: sessionExpires,
                        loginExpires: loginExpires,
                        onSignOut: { model.signOut() }
                    )
                case let .error(error):
                    ErrorView(error: error, onRetry: { model.retry() }, onClose: { model.signOut() })
                }
            }
            .navigationTitle("ObAuth Sample")
            .navigationBarTitleDisplayMode(.inline)
        }
        .navigationViewStyle(.stack)
        .alert(
            "Sign-in link",
            isPresented: $model.isShowingNotice,
            actions: { Button("OK", role: .cancel) {} },
            message: { Text(model.notice ?? "") }
        )
    }
}
