// What the sample signs in with: the sandbox's credentials and the API URL from Info.plist.

import Foundation
import ObAuth

/// The provider, the app's credentials and the user.
///
/// `apiUrl` comes from Info.plist (`ObAuthAPIURL`, filled from the `OBAUTH_API_URL` build setting
/// in project.yml). The default, `http://127.0.0.1:8080`, is the sandbox on the Mac: the simulator
/// shares the Mac's network, so its loopback is the Mac's. The core allows plain http to
/// loopback only.
struct SampleConfig {
    static let defaultApiUrl = "http://127.0.0.1:8080"
    /// The Universal Link in ObAuthSample.entitlements (`applinks:app.example.com`).
    static let defaultRedirectUrl = "https://app.example.com/aiia/callback"

    var apiUrl = SampleConfig.defaultApiUrl
    var clientId = "sandbox-client-id"
    /// A sandbox credential. A real app gets its secret from its own back end, never a literal.
    var clientSecret = "sandbox-client-secret"
    /// `^[a-zA-Z0-9-]{8,64}$`: identifies the user at the provider.
    var userHash = "sample-user-0001"
    var redirectUrl = SampleConfig.defaultRedirectUrl
    /// Banks' Universal Link domains: their links leave the WebView for the bank's app.
    var externalAppHosts: [String] = []

    /// The configuration of this build.
    static func fromBundle(_ bundle: Bundle = .main) -> SampleConfig {
        var config = SampleConfig()
        if let url = bundle.object(forInfoDictionaryKey: "ObAuthAPIURL") as? String, !url.isEmpty {
            config.apiUrl = url
        }
        return config
    }

    var clientConfig: ClientConfig {
        ClientConfig(
            apiUrl: apiUrl,
            clientId: clientId,
            clientSecret: clientSecret,
            externalAppHosts: externalAppHosts
        )
    }

    var loginParams: SupervisedLoginParams {
        SupervisedLoginParams(userHash: userHash, redirectUrl: redirectUrl)
    }
}
