// The whole-run secret scan (issue 10): every test of this suite runs with a trace-level log
// sink attached (`ObAuthTestCase.setUp`), and every secret value the run meets — the partner
// secret, the codes and `state`s of redirects, start tokens, the tokens flows return, and what
// snapshots hold (`state`, `nonce`, PKCE verifier, codes, tokens) — is noted. After every test
// (`tearDown`), every log line captured so far in the run is checked against every secret noted
// so far, so the last test's check covers the whole run.

import Foundation
import XCTest

@testable import ObAuth

enum RunScan {
    /// Shorter values (`true`, `bearer`, short fixtures) would match by accident.
    static let minSecretLength = 8
    static let lines = Locked<[String]>([])
    static let secrets = Locked<Set<String>>([])

    /// Attaches the run's trace-level sink (again after a test that installed its own).
    static func attach() {
        setLogSink(level: .trace) { record in
            let line = "\(record.target): \(record.message)"
            RunScan.lines.withLock { $0.append(line) }
        }
    }

    static func note(_ values: String?...) {
        for case let value? in values where value.count >= minSecretLength {
            secrets.withLock { _ = $0.insert(value) }
        }
    }

    /// Notes the credential query values of a URL (`code`, `state`, `startToken`, `nonce`).
    @discardableResult
    static func note(url: String) -> String {
        let names: Set<String> = ["code", "state", "startToken", "nonce", "code_challenge"]
        for item in URLComponents(string: url)?.percentEncodedQueryItems ?? [] where names.contains(item.name) {
            note(item.value, item.value?.removingPercentEncoding)
        }
        return url
    }

    /// Notes every secret-bearing field of a snapshot (any kind, phase, sealed or not).
    @discardableResult
    static func note(snapshot: String) -> String {
        let text = snapshot.replacingOccurrences(of: "\\\"", with: "\"")
        let pattern = #""(state|nonce|code_verifier|code|access_token|refresh_token|id_token|token|mac)"\s*:\s*"([^"]+)""#
        if let regex = try? NSRegularExpression(pattern: pattern) {
            let range = NSRange(text.startIndex..., in: text)
            for match in regex.matches(in: text, range: range) {
                if let value = Range(match.range(at: 2), in: text) {
                    note(String(text[value]))
                }
            }
        }
        return snapshot
    }

    /// Each captured line that holds a noted secret: its target and the secret's length.
    static func leaks() -> [String] {
        let seen = secrets.withLock { Array($0) }
        let captured = lines.withLock { $0 }
        return captured.flatMap { line in
            seen.filter { line.contains($0) }.map { secret in
                let target = line.components(separatedBy: ": ").first ?? ""
                return "\(target) (a \(secret.count)-character secret)"
            }
        }
    }
}

/// The base of every test class here: the run's sink attached before each test, the whole-run
/// scan after it.
class ObAuthTestCase: XCTestCase {
    override func setUp() {
        super.setUp()
        RunScan.note("sandbox-client-secret")
        RunScan.attach()
    }

    override func tearDown() {
        let leaks = RunScan.leaks()
        XCTAssertTrue(leaks.isEmpty, "secrets in the run's log: \(leaks)")
        super.tearDown()
    }
}

extension SupervisedTokens {
    func seen() -> SupervisedTokens {
        RunScan.note(accessToken.expose(), loginToken.expose())
        return self
    }
}

extension TokenSet {
    func seen() -> TokenSet {
        RunScan.note(accessToken.expose(), refreshToken?.expose(), idToken?.expose())
        return self
    }
}

extension String {
    /// Notes the secrets of this snapshot.
    func seenSnapshot() -> String { RunScan.note(snapshot: self) }
}

/// The scan can fail: a line holding a noted secret is reported.
final class RunScanTests: XCTestCase {
    func testTheScanFindsASecretInALogLineAndTheRunCapturesLines() {
        let secret = "run-scan-self-test-\(UUID().uuidString)"
        let line = "obauth::test: leaked \(secret)"
        RunScan.note(secret)
        RunScan.lines.withLock { $0.append(line) }
        XCTAssertTrue(RunScan.leaks().contains { $0.hasPrefix("obauth::test") })
        RunScan.lines.withLock { $0.removeAll { $0 == line } }
        XCTAssertFalse(RunScan.leaks().contains { $0.hasPrefix("obauth::test") })
    }
}
