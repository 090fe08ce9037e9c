import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("Retention: pruning and reset", .timeLimit(.minutes(3)))
struct RetentionTests {
    @Test("the gateway prunes past max_events and max_age; a resume from before the watermark gets tidings.reset, then the rest")
    func pruneThenReset() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("retention") { database, config in
            var config = config
            config.retention = RetentionSettings(maxAge: .seconds(86_400), maxEvents: 6, interval: .milliseconds(100))
            let log = CapturedLog()
            try await LiveGateway.with(config, logger: log.logger(level: .info)) { live in
                for id in 1...10 { try await database.insert(id) }
                try await Self.untilPruned(4, log)
                let ids = try await Self.loggedIDs(database)
                #expect(ids.count == 6)
                let first = try #require(ids.first)
                // Age the two oldest retained events past max_age: they go next.
                try await database.execute("UPDATE tidings.changes SET at = at - interval '2 days' WHERE id <= \(first + 1)")
                try await Self.untilPruned(6, log)
                let retained = try await Self.loggedIDs(database)
                #expect(retained == Array(ids.dropFirst(2)))
                let oldest = try #require(retained.first)

                var (_, stream) = try await openStream(client, "\(live.baseURL)/events?topic=items/**", headers: [("Last-Event-ID", "1")])
                #expect(try await stream.next() == .retry(2000))
                let reset = try #require(try await stream.nextEvent())
                #expect(reset.name == "tidings.reset" && reset.id == nil)
                #expect(reset.data == #"{"after":1,"oldest":\#(oldest)}"#)
                var resumed: [Int64] = []
                while resumed.count < 4 {
                    let event = try #require(try await stream.nextEvent())
                    resumed.append(try #require(Int64(event.id ?? "")))
                }
                #expect(resumed == retained)

                let polled = try await client.call("\(live.baseURL)/changes?topic=items/**&after=1")
                #expect(try polled.json["reset"] as? Bool == true)
                #expect((try polled.json["oldest"] as? NSNumber)?.int64Value == oldest)
                #expect(try changeEvents(polled).map(\.id) == retained)

                // From the watermark on, nothing was missed: no reset.
                let current = try await client.call("\(live.baseURL)/changes?topic=items/**&after=\(oldest - 1)")
                #expect(try current.json["reset"] == nil)
                #expect(try changeEvents(current).map(\.id) == retained)
                var (_, fresh) = try await openStream(
                    client,
                    "\(live.baseURL)/events?topic=items/**",
                    headers: [("Last-Event-ID", "\(oldest)")]
                )
                #expect(try await fresh.next() == .retry(2000))
                #expect(try await fresh.nextEvent()?.id == String(retained[1]))
            }
        }
    }

    @Test("while one session prunes, another's prune returns at once without deleting")
    func onePrunerAtATime() async throws {
        try await TestDatabase.with("retention_lock") { database, _ in
            for id in 1...5 { try await database.insert(id) }
            try await TestDatabase.connect(database.url) { other in
                try await database.execute("BEGIN")
                let first = try await Self.prune(database)
                #expect(first == 2)
                #expect(try await Self.prune(other) == 0)
                try await database.execute("COMMIT")
                #expect(try await Self.prune(other) == 0)
                let ids = try await Self.loggedIDs(database)
                #expect(ids.count == 3)
            }
        }
    }

    static func prune(_ database: TestDatabase) async throws -> Int {
        let rows = try await database.connection.query("SELECT tidings.prune('7 days', 3, 1000)", logger: LiveGateway.logger)
        for try await count in rows.decode(Int32.self) { return Int(count) }
        return -1
    }

    /// The ids in the log.
    static func loggedIDs(_ database: TestDatabase) async throws -> [Int64] {
        var ids: [Int64] = []
        let rows = try await database.connection.query("SELECT id FROM tidings.changes ORDER BY id", logger: LiveGateway.logger)
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids
    }

    /// Waits until the gateway's pruner says it has removed `count` events in all (it logs each
    /// pass that removed some, after the pass committed).
    static func untilPruned(_ count: Int, _ log: CapturedLog) async throws {
        _ = try await log.until("\(count) events pruned") { lines in
            lines.filter { $0.contains("retention pruned events") }
                .compactMap { line in line.firstMatch(of: /count=(\d+)/).flatMap { Int($0.1) } }
                .reduce(0, +) >= count
        }
    }
}
