import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsServer
import TidingsTestSupport

@Suite("POST /publish with Idempotency-Key", .timeLimit(.minutes(3)))
struct PublishIdempotencyTests {
    static let body = #"{"topics":["chat/42"],"event":"message","data":{"text":"hi"}}"#
    /// The "change id" lock every commit that logs an event takes (Migrations/0001_change_log.sql).
    static let changeIDLock = "32766977284925299"

    private static func token(_ config: TidingsConfig, subject: String) async throws -> String {
        try await TestMint.token(subscribe: ["chat/**"], publish: ["chat/**"], subject: subject, config: config)
    }

    @Test("a repeat answers 200 with the first id and logs nothing; another body is 409; another subject publishes")
    func repeatsAndConflicts() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("publish_key") { database, config in
            let alice = try await Self.token(config, subject: "alice")
            let bob = try await Self.token(config, subject: "bob")
            try await LiveGateway.with(config) { live in
                let url = "\(live.baseURL)/publish"
                func send(_ token: String, key: String, body: String = Self.body) async throws -> HTTPAnswer {
                    try await client.call(
                        url,
                        method: .POST,
                        headers: [("Authorization", "Bearer \(token)"), ("Idempotency-Key", key)],
                        body: body
                    )
                }
                let first = try await send(alice, key: "item-1")
                #expect(first.status == 201)
                let id = try #require((try first.json["id"] as? NSNumber)?.int64Value)
                let again = try await send(alice, key: "item-1")
                #expect(again.status == 200)
                #expect((try again.json["id"] as? NSNumber)?.int64Value == id)
                let other = try await send(alice, key: "item-1", body: Self.body.replacingOccurrences(of: "hi", with: "bye"))
                #expect(other.status == 409)
                #expect(try other.json["error"] as? String == "idempotency_key_reused")
                let bobs = try await send(bob, key: "item-1")
                #expect(bobs.status == 201)
                #expect((try bobs.json["id"] as? NSNumber)?.int64Value != id)
                #expect(try await database.texts("SELECT id::text FROM tidings.changes").count == 2)

                for bad in ["", String(repeating: "k", count: 129), "has space", "é"] {
                    let answer = try await send(alice, key: bad)
                    #expect(answer.status == 400, "\(bad)")
                    #expect(try answer.json["error"] as? String == "bad_idempotency_key", "\(bad)")
                }
                #expect(try await database.texts("SELECT id::text FROM tidings.changes").count == 2)
            }
        }
    }

    @Test("a publish whose answer is lost after the commit is not published again when retried with its key")
    func lostAnswerIsNotPublishedTwice() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("publish_key_lost") { database, config in
            let token = try await Self.token(config, subject: "alice")
            let headers = [("Authorization", "Bearer \(token)"), ("Idempotency-Key", "lost-1")]
            try await LiveGateway.with(config) { live in
                // Hold the lock the commit needs, so the request is mid-commit when its connection drops.
                try await database.execute("SELECT pg_advisory_lock(\(Self.changeIDLock))")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try await client.call("\(live.baseURL)/publish", method: .POST, headers: headers, body: Self.body) }
                    try await Self.waitForLockWaiters(1, database)
                    // Cancelling the request closes its connection: the answer is lost.
                    group.cancelAll()
                    _ = await group.nextResult()
                }
                try await database.execute("SELECT pg_advisory_unlock(\(Self.changeIDLock))")
                let logged = try await client.call("\(live.baseURL)/changes?topic=chat/**&after=0&wait=20s", headers: [headers[0]])
                let events = try changeEvents(logged)
                #expect(events.count == 1)

                let retry = try await client.call("\(live.baseURL)/publish", method: .POST, headers: headers, body: Self.body)
                #expect(retry.status == 200)
                #expect((try retry.json["id"] as? NSNumber)?.int64Value == events.first?.id)
                #expect(try await database.texts("SELECT id::text FROM tidings.changes").count == 1)
            }
        }
    }

    @Test("two concurrent requests with one key publish once: one 201, one 200 with the same id")
    func concurrentRepeatsPublishOnce() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("publish_key_race") { database, config in
            let token = try await Self.token(config, subject: "alice")
            let headers = [("Authorization", "Bearer \(token)"), ("Idempotency-Key", "race-1")]
            try await LiveGateway.with(config) { live in
                try await database.execute("SELECT pg_advisory_lock(\(Self.changeIDLock))")
                let url = "\(live.baseURL)/publish"
                async let first = client.call(url, method: .POST, headers: headers, body: Self.body)
                async let second = client.call(url, method: .POST, headers: headers, body: Self.body)
                // One waits on the commit's lock, the other on the key the first one holds.
                try await Self.waitForLockWaiters(2, database)
                try await database.execute("SELECT pg_advisory_unlock(\(Self.changeIDLock))")
                let answers = try await [first, second]
                #expect(answers.map(\.status).sorted() == [200, 201])
                let ids = try answers.map { (try $0.json["id"] as? NSNumber)?.int64Value }
                #expect(ids[0] != nil && ids[0] == ids[1])
                #expect(try await database.texts("SELECT id::text FROM tidings.changes").count == 1)
            }
        }
    }

    /// Waits until `count` other sessions wait on a lock (the advisory lock or a row's key).
    private static func waitForLockWaiters(_ count: Int, _ database: TestDatabase) async throws {
        for _ in 0..<2000 {
            let waiting = try await database.texts(
                "SELECT count(*)::text FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if waiting.first == String(count) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TestFailure("\(count) sessions never waited on a lock")
    }
}
