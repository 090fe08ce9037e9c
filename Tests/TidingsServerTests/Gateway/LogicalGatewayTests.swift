import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@testable import TidingsServer

@Suite("capture.mode: logical through a gateway", .timeLimit(.minutes(2)))
struct LogicalGatewayTests {
    @Test("after migrating from triggers to logical, a row and a POST /publish reach a stream, the publish answering 201 with its id")
    func rowsAndPublish() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("logical_gateway", logicalCapture: true) { database, triggers in
            var config = try triggers.with()
            config.capture = CaptureSettings(mode: .logical, slot: database.url.database)
            let report = try await Migrator(url: database.url, logger: LiveGateway.logger).migrate(config: config)
            // The table's event builder stays (the capturer calls it); its triggers go.
            #expect(report.updatedCaptures == [TableName(schema: "public", name: "items")])
            #expect(report.notes.contains("created replication slot \(database.url.database)"))
            let triggerCount = try await database.connection.query(
                "SELECT count(*)::int8 FROM pg_trigger WHERE tgrelid = 'public.items'::regclass AND NOT tgisinternal",
                logger: LiveGateway.logger
            )
            for try await count in triggerCount.decode(Int64.self) { #expect(count == 0) }
            let token = try await TestMint.token(subscribe: ["chat/**", "items/**"], publish: ["chat/**"], config: config)
            let auth = ("Authorization", "Bearer \(token)")
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                var (_, stream) = try await openStream(client, "\(live.baseURL)/events?topic=chat/42&topic=items/**", headers: [auth])
                #expect(try await stream.next() == .retry(2000))
                try await database.insert(7)
                let answer = try await client.call(
                    "\(live.baseURL)/publish",
                    method: .POST,
                    headers: [auth],
                    body: #"{"topics":["chat/42"],"event":"message","data":{"text":"hi"}}"#
                )
                #expect(answer.status == 201)
                let id = try #require((try answer.json["id"] as? NSNumber)?.int64Value)
                let row = try #require(try await stream.nextEvent())
                #expect(row.name == "items.insert")
                let published = try #require(try await stream.nextEvent())
                #expect(published.name == "message")
                #expect(published.id == String(id))
                #expect(Int64(row.id ?? "") ?? .max < id)
                // Idempotency-Key (migration 0006) in logical mode: the repeat answers the first id.
                let keyed = [auth, ("Idempotency-Key", "logical-key-1")]
                let body = #"{"topics":["chat/42"],"event":"message","data":{"text":"once"}}"#
                let first = try await client.call("\(live.baseURL)/publish", method: .POST, headers: keyed, body: body)
                let repeated = try await client.call("\(live.baseURL)/publish", method: .POST, headers: keyed, body: body)
                #expect(first.status == 201)
                #expect(repeated.status == 200)
                let firstID = try #require((try first.json["id"] as? NSNumber)?.int64Value)
                #expect((try repeated.json["id"] as? NSNumber)?.int64Value == firstID)
                let once = try #require(try await stream.nextEvent())
                #expect(once.id == String(firstID))
                let logged = try await database.connection.query(
                    "SELECT count(*)::int8 FROM tidings.changes WHERE data->'data'->>'text' = 'once'",
                    logger: LiveGateway.logger
                )
                for try await count in logged.decode(Int64.self) { #expect(count == 1) }
            }
        }
    }

    @Test(
        "POST /publish with no capturer answers 503 at once and publishes nothing; when the capturer cannot number it in time, 202 without the id, and it is logged once the capturer can"
    )
    func publishWithoutACapturer() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("logical_publish_down", logicalCapture: true) { database, triggers in
            var config = try triggers.with()
            config.capture = CaptureSettings(mode: .logical, slot: database.url.database)
            _ = try await Migrator(url: database.url, logger: LiveGateway.logger).migrate(config: config)
            let token = try await TestMint.token(subscribe: ["chat/**"], publish: ["chat/**"], config: config)
            let auth = ("Authorization", "Bearer \(token)")
            let body = #"{"topics":["chat/1"],"event":"message","data":{"text":"hi"}}"#
            let published: @Sendable () async throws -> Int64 = {
                let rows = try await database.connection.query(
                    "SELECT count(*)::int8 FROM tidings.changes WHERE op = 'publish'",
                    logger: LiveGateway.logger
                )
                for try await count in rows.decode(Int64.self) { return count }
                return -1
            }
            let slotActive: @Sendable () async throws -> Bool = {
                let rows = try await database.connection.query(
                    "SELECT coalesce((SELECT active FROM pg_replication_slots WHERE slot_name = \(database.url.database)), false)",
                    logger: LiveGateway.logger
                )
                for try await active in rows.decode(Bool.self) { return active }
                return false
            }
            try await TestDatabase.connect(database.url) { holder in
                // This session holds the capturer's lock: the gateway's capturer never starts.
                try await holder.execute("SELECT pg_advisory_lock(\(AdvisoryLockKey.capturer))")
                try await LiveGateway.with(config) { live in
                    try await live.waitUntilReady(client: client)
                    let started = ContinuousClock.now
                    let refused = try await client.call("\(live.baseURL)/publish", method: .POST, headers: [auth], body: body)
                    // Before the fix: the publish committed and the answer waited 10 s for an id.
                    #expect(refused.status == 503)
                    #expect(ContinuousClock.now - started < .seconds(3))
                    #expect(try refused.json["error"] as? String == "capture_unavailable")
                }
            }
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                var (_, stream) = try await openStream(client, "\(live.baseURL)/events?topic=chat/**", headers: [auth])
                #expect(try await stream.next() == .retry(2000))
                while try await !slotActive() { try await Task.sleep(for: .milliseconds(50)) }
                try await TestDatabase.connect(database.url) { holder in
                    // The capturer streams the slot but cannot finish a log transaction.
                    try await holder.execute("BEGIN")
                    try await holder.execute("LOCK TABLE tidings.capture_position IN EXCLUSIVE MODE")
                    let accepted = try await client.call("\(live.baseURL)/publish", method: .POST, headers: [auth], body: body)
                    #expect(accepted.status == 202)
                    #expect(try accepted.json["id"] is NSNull)
                    try await holder.execute("COMMIT")
                }
                let event = try #require(try await stream.nextEvent())
                #expect(event.name == "message")
            }
            // The refused publish left nothing; the accepted one is logged once.
            #expect(try await published() == 1)
        }
    }
}
