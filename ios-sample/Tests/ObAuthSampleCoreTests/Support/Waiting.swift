// Bounded waits: every test can fail, none can hang.

import Foundation

/// The first element of `stream`, or nil if none came within `limit`.
func first<Element: Sendable>(of stream: AsyncStream<Element>, within limit: Duration) async -> Element? {
    await withTaskGroup(of: Element?.self) { group in
        group.addTask {
            var iterator = stream.makeAsyncIterator()
            return await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let winner = await group.next() ?? nil
        group.cancelAll()
        return winner
    }
}

/// Retries `condition` until it holds, for about 3 s (for what trails by design, e.g. the snapshot
/// save just after a state change).
@MainActor
func eventually(_ what: String, _ condition: @MainActor () async throws -> Bool) async throws {
    for _ in 0..<150 {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("\(what): never happened")
}
