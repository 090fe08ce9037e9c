import Logging
import PostgresNIO
import Synchronization
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

/// The capturer's own gateway takes the events it has just logged without reading them back
/// (``ChangeFeed/receiveCaptured(_:)``), and its sink still gets each event once, in id order.
@Suite struct LogicalHandOffTests {
    final class Sink: ChangeSink {
        let ids: AsyncStream<Int64>
        private let continuation: AsyncStream<Int64>.Continuation

        init() { (ids, continuation) = AsyncStream.makeStream() }

        func start(after cursor: Int64) {}
        func receive(_ changes: [Change]) { for change in changes { continuation.yield(change.id) } }
        func reset(after cursor: Int64, oldest: Int64) { continuation.yield(-1) }
    }

    @Test(
        "the capturer's feed hands its committed batches to the sink with no read of the log; a read that was in flight adds no duplicate",
        .timeLimit(.minutes(3))
    )
    func committedBatchesReachTheSinkWithoutARead() async throws {
        let harness = try await LogicalHarness.make(
            "logical_hand_off",
            setup: "CREATE TABLE items (id int PRIMARY KEY, label text)",
            tables: [try TestSupport.capture("items", ["items/{id}"])]
        )
        let sink = Sink()
        let feedLoop = FeedEventLoop()
        let feed = ChangeFeed(
            configuration: try harness.url.connectionConfiguration(),
            sink: sink,
            feedLoop: feedLoop,
            logger: TestSupport.logger
        )
        let total = 300
        // The feed's thread ends after the feed has returned, on every path out.
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await feed.run() }
                try await feed.status.testOnlyWait { $0.isReady }
                try await harness.withCapturer(captured: { feed.receiveCaptured($0) }) { _ in
                    var received: [Int64] = []
                    var iterator = sink.ids.makeAsyncIterator()
                    try await TestSupport.withConnection(harness.url) { admin in
                        // Every read of the log by the feed waits behind this lock (its page reads
                        // tidings.retention); the capturer's writes do not: only the hand-over can
                        // bring the events to the sink.
                        try await TestSupport.execute("BEGIN; LOCK TABLE tidings.retention IN ACCESS EXCLUSIVE MODE", on: admin)
                        try await TestSupport.withConnection(harness.url) { writer in
                            for start in stride(from: 1, through: total, by: 30) {
                                try await TestSupport.execute(
                                    "INSERT INTO items SELECT g, 'row' FROM generate_series(\(start), \(start + 29)) AS g",
                                    on: writer
                                )
                            }
                        }
                        while received.count < total, let id = await iterator.next() { received.append(id) }
                        #expect(feed.status.snapshot.eventsRead == 0)
                        try await TestSupport.execute("COMMIT", on: admin)
                        // One event the capturer did not write: the feed reads it, after the read held
                        // by the lock (which found only handed events) has finished.
                        try await TestSupport.execute(
                            """
                            INSERT INTO tidings.changes (id, topics, event, "table", op, data, at)
                            VALUES (nextval('tidings.change_id'), ARRAY['items/0'], 'items.insert', 'public.items', 'insert', '{}', now());
                            NOTIFY tidings;
                            """,
                            on: admin
                        )
                        if let id = await iterator.next() { received.append(id) }
                    }
                    let logged = try await TestSupport.withConnection(harness.url) { connection in
                        try await TestSupport.texts("SELECT id::text FROM tidings.changes ORDER BY id", on: connection)
                    }
                    #expect(received == logged.compactMap { Int64($0) }.sorted())
                    #expect(received.count == total + 1)
                    #expect(feed.status.snapshot.eventsCaptured == total)
                    #expect(feed.status.snapshot.eventsRead == 1)
                }
                group.cancelAll()
            }
        } catch {
            try await feedLoop.shutdown()
            throw error
        }
        try await feedLoop.shutdown()
    }
}
