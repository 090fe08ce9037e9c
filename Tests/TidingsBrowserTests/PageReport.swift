import Foundation
import Synchronization
import TidingsTestSupport

/// What the test page last told the test (`POST /report`): a whole snapshot of its client,
/// its store and its publisher, numbered so that a late, older snapshot never replaces a newer one.
struct PageReport: Decodable, Sendable {
    /// One event the page's `onEvent` received.
    struct Seen: Decodable, Sendable, Equatable {
        var id: Int64?
        var event: String
        /// `data.data.tag` of a publish event, so that a test can match it to its publish.
        var tag: String?
    }

    /// A publish the page's queue settled: the committed id, or why the gateway refused it.
    struct Settled: Decodable, Sendable {
        var tag: String
        var id: Int64?
        var error: String?
    }

    /// Which load of the page wrote this report: 1, then 2 after a reload.
    var loads: Int
    /// Grows with every report and with every load of the page.
    var seq: Int
    /// Streams opened (`onOpen`): 1, then one more for every reconnect.
    var opens: Int
    var errors: [String]
    var events: [Seen]
    /// The store's rows of the page's table, sorted by key.
    var rows: [ItemRow]
    var settled: [Settled]
    /// Items still in the publish queue, and how often its head was put back for a retry.
    var pending: Int
    var retries: Int
    var resets: Int
    /// `tidings.expired` events, and calls of the page's `getToken`.
    var expired: Int
    var tokenFetches: Int
    /// Uncaught exceptions and rejections in the page.
    var failures: [String]
    /// Loads of the page's tables through `/rows` (with `loadTables`).
    var tableLoads: Int

    /// The change-log ids of the events received, in order.
    var ids: [Int64] { events.compactMap(\.id) }
}

/// A row of the test table `public.items`, as the page's store and `json_agg` both write it.
struct ItemRow: Codable, Sendable, Equatable {
    var id: Int
    var group_id: Int
    var note: String?
}

/// The page's reports as they arrive, and waits for one that satisfies a condition.
final class PageReports: Sendable {
    private struct Waiter {
        let id: UUID
        let condition: @Sendable (PageReport) -> Bool
        let continuation: CheckedContinuation<PageReport, any Error>
    }

    private struct State {
        var latest: PageReport?
        var waiters: [Waiter] = []
        var expired: Set<UUID> = []
    }

    private let state = Mutex(State())

    /// The newest report so far.
    var latest: PageReport? { state.withLock { $0.latest } }

    /// Keeps `report` if it is newer than the latest one, and wakes the waits it satisfies.
    func receive(_ report: PageReport) {
        let satisfied: [Waiter] = state.withLock { state in
            guard report.seq > state.latest?.seq ?? -1 else { return [] }
            state.latest = report
            let ready = state.waiters.filter { $0.condition(report) }
            state.waiters.removeAll { waiter in ready.contains { $0.id == waiter.id } }
            return ready
        }
        for waiter in satisfied { waiter.continuation.resume(returning: report) }
    }

    /// The first report (the latest one included) for which `condition` holds.
    /// - Throws: a ``TestFailure`` naming `what` and showing the latest report, after `timeout`.
    func first(
        _ what: String,
        timeout: Duration = .seconds(20),
        where condition: @escaping @Sendable (PageReport) -> Bool
    ) async throws -> PageReport {
        let id = UUID()
        return try await withThrowingTaskGroup(of: PageReport?.self) { group in
            group.addTask {
                let report: PageReport = try await withCheckedThrowingContinuation { continuation in
                    let answer: Result<PageReport, any Error>? = self.state.withLock { state in
                        if let latest = state.latest, condition(latest) { return .success(latest) }
                        if state.expired.remove(id) != nil { return .failure(self.timedOut(what, latest: state.latest)) }
                        state.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                        return nil
                    }
                    if let answer { continuation.resume(with: answer) }
                }
                return report
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                } catch {
                    return nil
                }
                self.expire(id, what)
                return nil
            }
            while let next = try await group.next() {
                if let report = next {
                    group.cancelAll()
                    return report
                }
            }
            throw TestFailure("waiting for \(what) ended without an answer")
        }
    }

    private func expire(_ id: UUID, _ what: String) {
        let waiter: Waiter? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                state.expired.insert(id)
                return nil
            }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: timedOut(what, latest: latest))
    }

    private func timedOut(_ what: String, latest: PageReport?) -> TestFailure {
        guard let latest else { return TestFailure("timed out waiting for \(what): the page never reported") }
        return TestFailure(
            "timed out waiting for \(what); the page's last report: opens \(latest.opens), rows \(latest.rows.map(\.id)), "
                + "ids \(latest.ids), pending \(latest.pending), settled \(latest.settled.map { "\($0.tag)=\($0.id ?? -1)" }), "
                + "errors \(latest.errors.suffix(5)), failures \(latest.failures)"
        )
    }
}
