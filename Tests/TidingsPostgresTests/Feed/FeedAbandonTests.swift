import Logging
import PostgresNIO
import Testing
import TidingsCore

@testable import TidingsPostgres

/// A connection the feed gives up on has its server session ended: a LISTENer left behind would
/// pin PostgreSQL's notification queue.
@Suite struct FeedAbandonTests {
    final class Sink: ChangeSink {
        let received = WatchedValue<[Int64]>([])
        func start(after cursor: Int64) {}
        func receive(_ changes: [Change]) { received.update { $0 += changes.map(\.id) } }
        func reset(after cursor: Int64, oldest: Int64) {}
    }

    @Test("a read stuck past its timeout ends in pg_terminate_backend of that session, and the feed goes on", .timeLimit(.minutes(1)))
    func stuckSessionIsTerminated() async throws {
        let capture = try TestSupport.capture("items", ["items/{id}"])
        let url = try await TestSupport.migratedDatabase(
            "feed_abandon",
            setup: "CREATE TABLE items (id int PRIMARY KEY)",
            tables: [capture]
        )
        let sink = Sink()
        let log = RecordedLog(level: .info)
        let feedLoop = FeedEventLoop()
        let feed = ChangeFeed(
            configuration: try url.connectionConfiguration(),
            sink: sink,
            feedLoop: feedLoop,
            logger: log.logger,
            pollInterval: .milliseconds(500),
            backoff: Backoff(initial: .milliseconds(50), maximum: .milliseconds(200))
        )
        // The feed's thread ends after the feed has returned, on every path out.
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await feed.run() }
                try await feed.status.testOnlyWait { $0.isReady }
                try await TestSupport.withConnection(url) { admin in
                    // Holds the feed's next read of the log until this transaction ends.
                    try await TestSupport.execute("BEGIN; LOCK TABLE tidings.retention IN ACCESS EXCLUSIVE MODE", on: admin)
                    try await TestSupport.withConnection(url) { writer in
                        try await TestSupport.execute("INSERT INTO items VALUES (1)", on: writer)
                        var stuck: String?
                        while stuck == nil {
                            stuck = try await TestSupport.text(
                                "SELECT pid::text FROM pg_locks WHERE relation = 'tidings.retention'::regclass AND NOT granted",
                                on: writer
                            )
                            if stuck == nil { try await Task.sleep(for: .milliseconds(20)) }
                        }
                        let pid = try #require(stuck)
                        // Still holding the lock: only a terminate can end that session now.
                        let ended = try await log.waitFor("ended the server session of an abandoned connection", timeout: .seconds(40))
                        #expect(ended.contains("pid=\(pid)"), "\(ended)")
                    }
                    try await TestSupport.execute("COMMIT", on: admin)
                }
                try await sink.received.wait { $0 == [1] }
                #expect(sink.received.value == [1])
                group.cancelAll()
            }
        } catch {
            try await feedLoop.shutdown()
            throw error
        }
        try await feedLoop.shutdown()
    }
}
