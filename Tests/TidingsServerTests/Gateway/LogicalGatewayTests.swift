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
}
