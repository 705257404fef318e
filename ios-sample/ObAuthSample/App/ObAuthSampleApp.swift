// The app: one window, the sign-in model restored at launch, Universal Links handed to the core.

import ObAuth
import SwiftUI

@main
@MainActor
struct ObAuthSampleApp: App {
    /// Restored before the first view and the first `onOpenURL`: a Universal Link that relaunched
    /// the app after it was killed must find the restored login.
    @StateObject private var model = SignInModel.launch()

    var body: some Scene {
        WindowGroup {
            ContentView(model: model)
                // SwiftUI delivers Universal Links (applinks:, see ObAuthSample.entitlements) here.
                .onOpenURL { url in
                    _ = model.handleUniversalLink(url)
                }
        }
    }
}
