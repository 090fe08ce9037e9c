import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@testable import TidingsServer

/// Every way retention can overtake a reader ends in `tidings.reset` / `"reset": true`, never in
/// silence (issue: capture made safe, point 8).
@Suite("Retention races end in a reset", .timeLimit(.minutes(3)))
struct RetentionRaceTests {
    @Test("a Last-Event-ID or after above the log's head (ids rewound) gets a reset, then the events from the head on")
    func aboveTheHead() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("above_head") { database, config in
            try await LiveGateway.with(config) { live in
                for id in 1...3 { try await database.insert(id) }
                let head = try await MoveAndTruncateTests.lastID(database)
                var (_, stream) = try await openStream(
                    client,
                    "\(live.baseURL)/events?topic=items/**",
                    headers: [("Last-Event-ID", "1000")]
                )
                #expect(try await stream.next() == .retry(2000))
                let reset = try #require(try await stream.nextEvent())
                #expect(reset.name == "tidings.reset" && reset.id == nil)
                #expect(reset.data == #"{"after":1000,"oldest":\#(head - 2)}"#)

                let polled = try await client.call("\(live.baseURL)/changes?topic=items/**&after=1000")
                #expect(try polled.json["reset"] as? Bool == true)
                #expect((try polled.json["next"] as? NSNumber)?.int64Value == head)
                #expect(try changeEvents(polled).isEmpty)

                try await database.insert(4)
                #expect(try await stream.nextEvent()?.id == String(head + 1))
                let next = try await client.call("\(live.baseURL)/changes?topic=items/**&after=\(head)")
                #expect(try next.json["reset"] == nil)
                #expect(try changeEvents(next).map(\.id) == [head + 1])
            }
        }
    }

    @Test("pruning between two pages of a replay makes the replay send tidings.reset, then what is retained")
    func pruneDuringReplay() async throws {
        try await TestDatabase.with("replay_race") { database, config in
            for id in 1...6 { try await database.insert(id) }
            let client = PostgresClient(configuration: try config.postgres.url.clientConfiguration(), backgroundLogger: LiveGateway.logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                var replay = LogReplay(log: ChangeLog(client: client, logger: LiveGateway.logger))
                replay.pageSize = 2
                let grant = Grant(granted: [try Selector(parsing: "items/**")], requested: [try Selector(parsing: "items/**")])
                var written: [String] = []
                var pruned = false
                try await replay.replay(after: 0, through: 6, grant: grant, isCancelled: { false }) { frames in
                    written += frames.map { String(buffer: $0) }
                    if !pruned {
                        pruned = true
                        // Retention deletes ids 3 and 4, which the next page would have read.
                        try await database.execute("DELETE FROM tidings.changes WHERE id IN (3, 4)")
                        try await database.execute("UPDATE tidings.retention SET pruned_through = 4")
                    }
                }
                let lines = written.map { $0.split(separator: "\n").prefix(2).joined(separator: " ") }
                #expect(
                    lines == [
                        "id: 1 event: items.insert", "id: 2 event: items.insert",
                        #"event: tidings.reset data: {"after":2,"oldest":5}"#,
                        "id: 5 event: items.insert", "id: 6 event: items.insert",
                    ]
                )
                group.cancelAll()
            }
        }
    }

    @Test("events pruned before the gateway read them reach open streams as tidings.reset, then the next event")
    func pruneBeforeTheFeedReads() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("feed_race") { database, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                var (_, stream) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                #expect(try await stream.next() == .retry(2000))
                try await TestDatabase.connect(database.url) { admin in
                    // Holds the feed's next read (it reads the watermark) until the prune has committed.
                    try await admin.execute("BEGIN")
                    try await admin.execute("LOCK TABLE tidings.retention IN ACCESS EXCLUSIVE MODE")
                    for id in 1...3 { try await database.insert(id) }
                    try await Self.waitForBlockedRead(admin)
                    try await admin.execute("SELECT tidings.prune('0 seconds', 0, 1000)")
                    try await admin.execute("COMMIT")
                }
                try await database.insert(4)
                let reset = try #require(try await stream.nextEvent())
                #expect(reset.name == "tidings.reset" && reset.id == nil)
                #expect(reset.data == #"{"after":0,"oldest":4}"#)
                #expect(try await stream.nextEvent()?.id == "4")
            }
        }
    }

    /// Waits until a session waits for a lock on `tidings.retention`.
    static func waitForBlockedRead(_ admin: TestDatabase) async throws {
        for _ in 0..<400 {
            let rows = try await admin.connection.query(
                """
                SELECT count(*)::int8 FROM pg_locks
                WHERE relation = 'tidings.retention'::regclass AND NOT granted
                """,
                logger: LiveGateway.logger
            )
            for try await count in rows.decode(Int64.self) where count > 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("the feed never waited for the retention lock")
    }
}
