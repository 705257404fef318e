// What the controller tests share: sample configs for the sandbox, fresh users, and a look at the
// login saved in a storage. Mirrors android-sample/jvm-test/.../Harness.kt.

import Foundation
import ObAuth
import ObAuthSampleCore

/// A bank's Universal Link domain: its links leave the WebView for the bank's app.
let bankAppHost = "mobilebank.example.com"

/// The Mac's LAN address, as one would try for a physical device: plain http to a host that is not
/// loopback, which the core refuses (InvalidInput, field apiUrl).
let lanApiUrl = "http://192.168.1.20:8080"

@MainActor
final class Harness {
    let sandbox: SandboxControl

    init() throws {
        sandbox = try SandboxControl.fromEnvironment()
    }

    /// A fresh userHash per login, so sandbox scripts never leak between tests
    /// (`^[a-zA-Z0-9-]{8,64}$`).
    func user(_ tag: String) -> String {
        String("sample-\(tag)-\(UUID().uuidString.prefix(13))".prefix(64))
    }

    /// The sample's configuration against the sandbox in partner mode (the relay-mode tests are
    /// in RelayModeTests); a deadline also shortens the long-poll.
    func config(_ user: String, secret: String = "sandbox-client-secret", timeoutMs: UInt64? = nil) -> SampleConfig {
        SampleConfig(
            apiUrl: sandbox.baseUrl,
            clientSecret: Secret(secret),
            userHash: user,
            externalAppHosts: [bankAppHost],
            webHosts: ["bank.example.com"],
            externalSchemes: ["tel", "bankid"],
            pollTimeoutMs: timeoutMs == nil ? nil : 1_000,
            timeoutMs: timeoutMs,
            relayUrl: nil
        )
    }

    /// The first screen of the login saved in `storage`, restored by a throwaway client (nothing
    /// resumed, so it changes nothing at the sandbox).
    func savedScreen(_ storage: any SecureStorage, user: String) async throws -> UiState? {
        guard let flow = try savedFlow(storage, user: user) else { return nil }
        return await first(of: flow.screens(), within: .seconds(5))
    }

    /// What a launch would do with the login saved in `storage`.
    func savedRestoreAction(_ storage: any SecureStorage, user: String) throws -> RestoreAction? {
        try savedFlow(storage, user: user)?.onRestore()
    }

    private func savedFlow(_ storage: any SecureStorage, user: String) throws -> (any SignInFlow)? {
        let probe = SupervisedSignInFactory(config: config(user))
        guard let snapshot = try storage.load(key: probe.storageKey) else { return nil }
        return try probe.restore(snapshot: snapshot)
    }
}
