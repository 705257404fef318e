// Correlation ids in errors through the Swift bindings, against the sandbox: a failed flow's
// error names the id its requests carried, so a support ticket can quote it.

import Foundation
import XCTest
@testable import ObAuth

final class CorrelationTests: XCTestCase {
    /// A login failed at the bank: the thrown error and the `failed` state both quote the flow's
    /// correlation id, the one its requests carried.
    func testAFailedLoginQuotesItsCorrelationId() async throws {
        try await bounded {
            let (sandbox, login) = try await scriptedLogin("corrfail", "fail", delayMs: 50)
            login.start()
            let error = try await expectObAuthError("awaitTokens") { try await login.awaitTokens() }
            let id = try unwrap(login.correlationId(), "a correlation id after start()")
            guard case .UserAction = error else { return XCTFail("expected UserAction, got \(error)") }
            XCTAssertEqual(error.code, "login_failed", "code")
            XCTAssertEqual(error.correlationId, id, "the thrown error's correlationId")
            guard case let .failed(failure) = login.state() else {
                return XCTFail("state \(shape(login.state()))")
            }
            XCTAssertEqual(failure.correlationId, id, "the failed state's correlationId")
            let initialize = try await sandbox.correlationIds("initialize")
            XCTAssertTrue(initialize.contains(id), "initialize carried \(id)")
            let status = try await sandbox.correlationIds("status")
            XCTAssertTrue(status.contains(id), "a status poll carried \(id)")
        }
    }
}
