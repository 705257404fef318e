// What the sample signs in with: the sandbox's credentials and the API URL of this build.

import Foundation
import ObAuth

/// The provider, the app's credentials and the user.
///
/// Relay mode is the default, as in production: the app talks to its relay (`obauth relay`,
/// `relayUrl`), which holds the partner credentials and derives the user from the app's own token
/// (`appTokens`); the device holds no client secret and no userHash. With `relayUrl = nil` the
/// partner fields are used instead (local experiments against the sandbox only: a secret in an
/// IPA is a secret anyone can read).
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
    /// `obauth relay --listen 127.0.0.1:8081 …` on the Mac (see the README).
    public static let defaultRelayUrl = "http://127.0.0.1:8081"
    /// The Info.plist keys of the relay's URL and of a development build's app token.
    public static let relayUrlInfoKey = "ObAuthRelayURL"
    public static let appTokenInfoKey = "ObAuthAppToken"

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
    /// The app's relay; nil: partner mode (the fields above).
    public var relayUrl: String?
    /// Relay mode: the app's own token, from the app's sign-in (its back end issues it).
    public var appTokens: any AppTokenProvider

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
        timeoutMs: UInt64? = nil,
        relayUrl: String? = SampleConfig.defaultRelayUrl,
        appTokens: any AppTokenProvider = NoAppToken()
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
        self.relayUrl = relayUrl
        self.appTokens = appTokens
    }

    /// The configuration of this build: the defaults, with the API URL from the bundle's
    /// Info.plist when it has one.
    public static func fromBundle(_ bundle: Bundle = .main) -> SampleConfig {
        fromInfo(
            bundle.object(forInfoDictionaryKey: apiUrlInfoKey),
            relayUrl: bundle.object(forInfoDictionaryKey: relayUrlInfoKey),
            appToken: bundle.object(forInfoDictionaryKey: appTokenInfoKey)
        )
    }

    /// `fromInfo(_:)`, plus the relay's URL and a development app token when they are non-empty
    /// strings (without a token every login ends in "Sign in again").
    public static func fromInfo(_ apiUrlValue: Any?, relayUrl: Any?, appToken: Any?) -> SampleConfig {
        var config = fromInfo(apiUrlValue)
        if let url = relayUrl as? String, !url.isEmpty {
            config.relayUrl = url
        }
        if let token = appToken as? String, !token.isEmpty {
            config.appTokens = FixedAppToken(Secret(token))
        }
        return config
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

    /// Whether the sample talks to its relay (the default).
    public var usesRelay: Bool { relayUrl != nil }

    /// The client of this configuration: through the relay, or with partner credentials.
    public func makeClient() throws -> ObAuthClient {
        guard let relayUrl else { return try ObAuthClient(config: clientConfig) }
        return try ObAuthClient.relay(
            relayUrl: relayUrl,
            appTokenProvider: appTokens,
            externalAppHosts: externalAppHosts,
            webHosts: webHosts,
            externalSchemes: externalSchemes,
            snapshotKey: snapshotKey
        )
    }

    public var loginParams: SupervisedLoginParams {
        // Relay mode: the relay derives the user from the app token.
        SupervisedLoginParams(
            userHash: usesRelay ? "" : userHash, redirectUrl: redirectUrl, pollTimeoutMs: pollTimeoutMs, timeoutMs: timeoutMs
        )
    }
}

/// No app token yet (the user has not signed in to the app): every login ends in "Sign in again".
public final class NoAppToken: AppTokenProvider {
    public init() {}

    public func appToken(forceRefresh: Bool) throws -> Secret {
        throw ObAuthError.Reauthenticate(code: "app_token_rejected", detail: "sign in to the app first", correlationId: nil)
    }
}

/// One app token handed to the sample (a development build's `ObAuthAppToken`): there is no
/// fresher one to ask for, so a token the relay refuses ends the login in "Sign in again". A real
/// app asks its back end for a new token when `forceRefresh` is set.
public final class FixedAppToken: AppTokenProvider {
    private let token: Secret

    public init(_ token: Secret) {
        self.token = token
    }

    public func appToken(forceRefresh: Bool) throws -> Secret {
        if forceRefresh || token.expose().isEmpty {
            return try NoAppToken().appToken(forceRefresh: forceRefresh)
        }
        return token
    }
}
