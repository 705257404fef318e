// What the sample signs in with: the sandbox's credentials and the API URL of this build.

import Foundation
import ObAuth

/// The provider, the app's credentials and the user.
///
/// In the app, `apiUrl` comes from Info.plist (`ObAuthAPIURL`, filled from the `OBAUTH_API_URL`
/// build setting in project.yml; see `fromBundle`). The default, `http://127.0.0.1:8080`, is the
/// sandbox on the Mac: the simulator shares the Mac's network, so its loopback is the Mac's. The
/// core allows plain http to loopback only. The tests pass the sandbox they started.
///
/// Never prints its secret: the secret is a `Secret`, which prints `[redacted]` (as it does in
/// the generated `ClientConfig`).
public struct SampleConfig: Sendable {
    public static let defaultApiUrl = "http://127.0.0.1:8080"
    /// The Universal Link in ObAuthSample.entitlements (`applinks:app.example.com`).
    public static let defaultRedirectUrl = "https://app.example.com/aiia/callback"
    /// The Info.plist key the app's API URL is read from.
    public static let apiUrlInfoKey = "ObAuthAPIURL"

    public var apiUrl: String
    public var clientId: String
    /// A sandbox credential. A real app gets its secret from its own back end, never a literal.
    public var clientSecret: Secret
    /// `^[a-zA-Z0-9-]{8,64}$`: identifies the user at the provider.
    public var userHash: String
    public var redirectUrl: String
    /// Banks' Universal Link domains: their links leave the WebView for the bank's app.
    public var externalAppHosts: [String]
    /// Banks' login domains the WebView may show (besides the provider's page); others are
    /// blocked.
    public var webHosts: [String]
    /// App schemes (e.g. `bankid`) the WebView may hand to the OS; others are blocked.
    public var externalSchemes: [String]
    /// The snapshot integrity key (at least 32 characters). A real app generates it once and
    /// keeps it in the Keychain, apart from the snapshot; nil: unsealed snapshots.
    public var snapshotKey: Secret?
    /// Long-poll window in milliseconds; nil: the core's default (30 s).
    public var pollTimeoutMs: UInt64?
    /// Overall deadline in milliseconds; nil: the core's default (15 min).
    public var timeoutMs: UInt64?

    public init(
        apiUrl: String = SampleConfig.defaultApiUrl,
        clientId: String = "sandbox-client-id",
        clientSecret: Secret = Secret("sandbox-client-secret"),
        userHash: String = "sample-user-0001",
        redirectUrl: String = SampleConfig.defaultRedirectUrl,
        externalAppHosts: [String] = [],
        webHosts: [String] = [],
        externalSchemes: [String] = [],
        snapshotKey: Secret? = nil,
        pollTimeoutMs: UInt64? = nil,
        timeoutMs: UInt64? = nil
    ) {
        self.apiUrl = apiUrl
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.userHash = userHash
        self.redirectUrl = redirectUrl
        self.externalAppHosts = externalAppHosts
        self.webHosts = webHosts
        self.externalSchemes = externalSchemes
        self.snapshotKey = snapshotKey
        self.pollTimeoutMs = pollTimeoutMs
        self.timeoutMs = timeoutMs
    }

    /// The configuration of this build: the defaults, with the API URL from the bundle's
    /// Info.plist when it has one.
    public static func fromBundle(_ bundle: Bundle = .main) -> SampleConfig {
        fromInfo(bundle.object(forInfoDictionaryKey: apiUrlInfoKey))
    }

    /// The defaults, with `apiUrl` set from the Info.plist value when it is a non-empty string (an
    /// unset build setting arrives as "").
    public static func fromInfo(_ apiUrlValue: Any?) -> SampleConfig {
        var config = SampleConfig()
        if let url = apiUrlValue as? String, !url.isEmpty {
            config.apiUrl = url
        }
        return config
    }

    public var clientConfig: ClientConfig {
        ClientConfig(
            apiUrl: apiUrl,
            clientId: clientId,
            clientSecret: clientSecret,
            externalAppHosts: externalAppHosts,
            webHosts: webHosts,
            externalSchemes: externalSchemes,
            snapshotKey: snapshotKey
        )
    }

    public var loginParams: SupervisedLoginParams {
        SupervisedLoginParams(userHash: userHash, redirectUrl: redirectUrl, pollTimeoutMs: pollTimeoutMs, timeoutMs: timeoutMs)
    }
}
