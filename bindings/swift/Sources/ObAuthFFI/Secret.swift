// The Swift face of the core's `Secret` (a UniFFI custom type; the root uniffi.toml maps it
// here). Hand-written, in the module of the generated bindings, which use it.

/// A value that must never be printed: a client secret, or an access, refresh, ID or login token.
///
/// `description`, `debugDescription` and the reflection mirror show `[redacted]` and no
/// children, so a record that holds one (`ClientConfig`, `ClientCredentialsConfig`, `TokenSet`,
/// `SupervisedTokens`) prints no secret through `print`, string interpolation,
/// `String(describing:)`, `String(reflecting:)` or `dump()`. The value comes out only through
/// `expose()`; call it where it goes into the Keychain or an `Authorization` header. Equal when
/// the values are equal.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: String

    /// Wraps a secret value.
    public init(_ value: String) {
        self.value = value
    }

    /// The secret value itself. Never log it.
    public func expose() -> String {
        value
    }

    public var description: String { "[redacted]" }

    public var debugDescription: String { "[redacted]" }

    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
