// One run of the app for the tests: a controller on its storage, and waiting for its screens.
// `kill()` plays the OS ending the process; a new SampleApp on the same storage is the relaunch.

import Foundation
import ObAuth
import ObAuthSampleCore

@MainActor
final class SampleApp {
    let controller: SignInController
    let storage: any SecureStorage
    /// Every screen the controller showed, in order (its observer's view, as SignInModel's).
    private(set) var shown: [UiState]
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var waiterIds = 0

    convenience init(_ config: SampleConfig, storage: any SecureStorage = MemoryStorage()) {
        self.init(flows: SupervisedSignInFactory(config: config), storage: storage)
    }

    init(flows: any SignInFlowFactory, storage: any SecureStorage = MemoryStorage()) {
        self.storage = storage
        controller = SignInController(flows: flows, storage: storage)
        shown = [controller.screen]
        controller.onChange = { [weak self] in self?.changed() }
    }

    /// The OS kills the process: nothing is cancelled, nothing more runs for this app.
    func kill() {
        controller.close()
    }

    /// The user leaves for good: cancel what runs, then release.
    func finish() {
        controller.cancel()
        kill()
    }

    /// Waits (at most `limit`) for the first screen `match` accepts, failing with the last one seen.
    func awaitScreen<Found>(
        _ what: String,
        within limit: Duration = .seconds(20),
        _ match: (UiState) -> Found?
    ) async throws -> Found {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while true {
            if let found = match(controller.screen) { return found }
            guard ContinuousClock.now < deadline else {
                throw TestFailure("\(what): still on \(controller.screen) after \(limit)")
            }
            await nextChange(before: deadline)
        }
    }

    func awaitWebView(_ what: String, where accept: (URL) -> Bool = { _ in true }) async throws -> URL {
        try await awaitScreen(what) { $0.webViewUrl.flatMap { accept($0) ? $0 : nil } }
    }

    func awaitSuccess(_ what: String) async throws -> Success {
        try await awaitScreen(what) { $0.success }
    }

    func awaitError(_ what: String) async throws -> ErrorScreen {
        try await awaitScreen(what) { $0.errorScreen }
    }

    func awaitIdle(_ what: String) async throws {
        _ = try await awaitScreen(what) { $0 == .idle ? true : nil }
    }

    private func changed() {
        shown.append(controller.screen)
        let woken = waiters
        waiters = [:]
        for waiter in woken.values { waiter.resume() }
    }

    /// Suspends until the controller reports a change or `deadline` passes.
    private func nextChange(before deadline: ContinuousClock.Instant) async {
        waiterIds += 1
        let id = waiterIds
        // On the main actor too, so it cannot run before the continuation below is registered.
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            self?.waiters.removeValue(forKey: id)?.resume()
        }
        await withCheckedContinuation { waiters[id] = $0 }
        timer.cancel()
    }
}

/// The success screen's values, comparable as a whole.
struct Success: Equatable {
    let providerId: String
    let sessionExpires: Date
    let loginExpires: Date
}

extension UiState {
    var webViewUrl: URL? {
        if case let .showWebView(url) = self { return url }
        return nil
    }

    var errorScreen: ErrorScreen? {
        if case let .error(error) = self { return error }
        return nil
    }

    var success: Success? {
        if case let .success(providerId, sessionExpires, loginExpires) = self {
            return Success(providerId: providerId, sessionExpires: sessionExpires, loginExpires: loginExpires)
        }
        return nil
    }
}
