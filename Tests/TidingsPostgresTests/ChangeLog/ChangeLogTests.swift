import NIOCore
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres

/// The change log's own logic against a real PostgreSQL: pages carry the retention watermark of
/// their snapshot, pruning goes in batches and moves the watermark, the state a resume is
/// checked against, the `/rows` cursor once everything was pruned, and publishing with and
/// without an idempotency key.
@Suite struct ChangeLogTests {
    /// A migrated database with `count` published events (ids 1…count, topic `chat/<id>`).
    private static func database(_ prefix: String, events count: Int) async throws -> PostgresURL {
        let url = try await TestSupport.migratedDatabase(prefix, setup: "SELECT 1", tables: [])
        try await TestSupport.withConnection(url) { connection in
            for id in 0..<count {
                try await TestSupport.execute(
                    "SELECT tidings.publish(ARRAY['chat/\(id + 1)'], 'message', '{\"n\": \(id + 1)}')",
                    on: connection
                )
            }
        }
        return url
    }

    /// Runs `body` with a ``ChangeLog`` on a pool of its own.
    private static func withLog<Result: Sendable>(
        _ url: PostgresURL,
        captureSlot: String? = nil,
        _ body: @escaping @Sendable (ChangeLog) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: try url.clientConfiguration(), backgroundLogger: TestSupport.logger)
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(ChangeLog(client: client, captureSlot: captureSlot, logger: TestSupport.logger))
        }
    }

    @Test(
        "a page holds the events after an id up to its bound, and every page, an empty one too, carries the watermark",
        .timeLimit(.minutes(1))
    )
    func pagesCarryTheWatermark() async throws {
        let url = try await Self.database("log_pages", events: 5)
        try await Self.withLog(url) { log in
            let first = try await log.page(after: 0, limit: 2)
            #expect(first.changes.map(\.id) == [1, 2])
            #expect(first.isFull && first.prunedThrough == 0)
            #expect(String(buffer: first.changes[0].data).contains(#""n": 1"#))
            let bounded = try await log.page(after: 1, through: 3, limit: 10)
            #expect(bounded.changes.map(\.id) == [2, 3] && !bounded.isFull)
            try await TestSupport.withConnection(url) { connection in
                try await TestSupport.execute(
                    "DELETE FROM tidings.changes WHERE id <= 3; UPDATE tidings.retention SET pruned_through = 3",
                    on: connection
                )
            }
            let afterPruning = try await log.page(after: 1, limit: 10)
            #expect(afterPruning.changes.map(\.id) == [4, 5])
            #expect(afterPruning.prunedThrough == 3 && afterPruning.missedPruned(after: 1))
            let empty = try await log.page(after: 5, limit: 10)
            #expect(empty.changes.isEmpty && empty.prunedThrough == 3 && !empty.missedPruned(after: 5))
        }
    }

    @Test(
        "pruning by max_events removes a batch at a time, oldest first, and raises the watermark a resume is checked against",
        .timeLimit(.minutes(1))
    )
    func pruneInBatches() async throws {
        let url = try await Self.database("log_prune", events: 5)
        let (counts, state) = try await Self.withLog(url) { log in
            var counts: [Int] = []
            for _ in 0..<3 { counts.append(try await log.prune(maxAge: .seconds(86_400), maxEvents: 2, batch: 2)) }
            return (counts, try await log.retentionState())
        }
        #expect(counts == [2, 1, 0])
        #expect(state == RetentionState(prunedThrough: 3, oldest: 4, head: 5))
        #expect(state.requiresReset(after: 2) && !state.requiresReset(after: 3))
    }

    @Test(
        "once everything was pruned, the head, the /rows cursor and the next resume point are the watermark, and the last id is 0",
        .timeLimit(.minutes(1))
    )
    func everythingPruned() async throws {
        let url = try await Self.database("log_all_pruned", events: 4)
        let state = try await Self.withLog(url) { log in
            #expect(try await log.prune(maxAge: .zero, maxEvents: 0, batch: 100) == 4)
            return try await log.retentionState()
        }
        #expect(state == RetentionState(prunedThrough: 4, oldest: 5, head: 4))
        #expect(state.isAboveHead(9) && state.resumePoint(after: 9) == 4)
        let (cursor, last) = try await TestSupport.withConnection(url) { connection in
            (
                try await ChangeLog.snapshotCursor(on: connection, logger: TestSupport.logger),
                try await ChangeLog.lastID(on: connection, logger: TestSupport.logger)
            )
        }
        #expect(cursor == 4)
        #expect(last == 0)
    }

    @Test(
        "candidates are every event after the id without keys, and only those with a matching topic key with them",
        .timeLimit(.minutes(1))
    )
    func candidatesByKey() async throws {
        let url = try await Self.database("log_candidates", events: 5)
        let (all, keyed, limited) = try await Self.withLog(url) { log in
            (
                try await log.candidates(after: 1, keys: nil, limit: 10).map(\.id),
                try await log.candidates(after: 0, keys: ["chat/2", "chat/4"], limit: 10).map(\.id),
                try await log.candidates(after: 2, keys: nil, limit: 2).map(\.id)
            )
        }
        #expect(all == [2, 3, 4, 5])
        #expect(keyed == [2, 4])
        #expect(limited == [3, 4])
    }

    @Test("a publish answers with the id it was logged under, and logs the envelope's data member", .timeLimit(.minutes(1)))
    func publishReturnsItsID() async throws {
        let url = try await Self.database("log_publish", events: 2)
        let (id, page) = try await Self.withLog(url) { log in
            let id = try await log.publish(
                topics: ["chat/9"],
                event: "message",
                envelope: #"{"topics":["chat/9"],"event":"message","data":{"a":[1,2]}}"#
            )
            return (id, try await log.page(after: 2, limit: 10))
        }
        #expect(id == 3)
        let change = try #require(page.changes.first)
        #expect(change.id == 3 && change.event == "message" && change.topics.map(\.description) == ["chat/9"])
        #expect(String(buffer: change.data).contains(#""data": {"a": [1, 2]}"#))
    }

    @Test(
        "with a key: published once, the same body again gets the first id, another body under the key is a conflict",
        .timeLimit(.minutes(1))
    )
    func publishOncePerKey() async throws {
        let url = try await Self.database("log_publish_key", events: 0)
        let outcomes = try await Self.withLog(url) { log in
            let envelope = #"{"topics":["chat/1"],"event":"message","data":{}}"#
            let key = PublishKey(scope: "sub:alice", key: "k-1", bodyHash: "aa")
            return [
                try await log.publish(topics: ["chat/1"], event: "message", envelope: envelope, key: key),
                try await log.publish(topics: ["chat/1"], event: "message", envelope: envelope, key: key),
                try await log.publish(
                    topics: ["chat/1"],
                    event: "message",
                    envelope: envelope,
                    key: PublishKey(scope: "sub:alice", key: "k-1", bodyHash: "bb")
                ),
                try await log.publish(
                    topics: ["chat/1"],
                    event: "message",
                    envelope: envelope,
                    key: PublishKey(scope: "sub:bob", key: "k-1", bodyHash: "bb")
                ),
            ]
        }
        #expect(outcomes == [.published(1), .repeated(1), .conflict, .published(2)])
        let logged = try await TestSupport.withConnection(url) {
            try await TestSupport.text("SELECT count(*)::text FROM tidings.changes", on: $0)
        }
        #expect(logged == "2")
    }

    @Test("the notification queue the wake-ups go through is read as a share between 0 and 1", .timeLimit(.minutes(1)))
    func notificationQueueUsage() async throws {
        let url = try await Self.database("log_queue", events: 0)
        let usage = try await TestSupport.withConnection(url) {
            try await ChangeLog.notificationQueueUsage(on: $0, logger: TestSupport.logger)
        }
        #expect((0.0...1.0).contains(usage))
    }
}
