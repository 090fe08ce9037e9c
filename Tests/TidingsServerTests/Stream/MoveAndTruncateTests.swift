import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("Moves and TRUNCATE: who gets which frame (SPEC §5)", .timeLimit(.minutes(3)))
struct MoveAndTruncateTests {
    @Test("a row moved from group 1 to 2: old-only subscribers get a moved delete, new ones the update, both the update once")
    func moveSeenByEveryPath() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("move_paths") { database, config in
            try await LiveGateway.with(config) { live in
                try await database.insert(5, group: 1, note: "before")
                let inserted = try await Self.lastID(database)
                var (_, oldOnly) = try await openStream(client, "\(live.baseURL)/events?topic=groups/1/**")
                var (_, newOnly) = try await openStream(client, "\(live.baseURL)/events?topic=groups/2/**")
                var (_, both) = try await openStream(client, "\(live.baseURL)/events?topic=groups/1/**&topic=groups/2/**")
                var (_, resumed) = try await openStream(
                    client,
                    "\(live.baseURL)/events?topic=groups/1/**",
                    headers: [("Last-Event-ID", "\(inserted)")]
                )
                #expect(try await oldOnly.next() == .retry(2000))
                #expect(try await newOnly.next() == .retry(2000))
                #expect(try await both.next() == .retry(2000))
                #expect(try await resumed.next() == .retry(2000))

                try await database.execute("UPDATE items SET group_id = 2, note = 'secret of group 2' WHERE id = 5")
                try await database.insert(6, group: 1, note: "after")
                let moved = try await Self.lastID(database) - 1

                let deleted = try #require(try await oldOnly.nextEvent())
                #expect(deleted.id == String(moved) && deleted.name == "items.delete")
                let deletedData = try Self.object(deleted.data)
                #expect(deletedData["moved"] as? Bool == true)
                #expect(deletedData["op"] as? String == "delete")
                #expect(deletedData["topics"] as? [String] == ["items/5", "groups/1/items"])
                #expect((deletedData["old"] as? [String: Any])?.keys.sorted() == ["id"])
                #expect(deletedData["new"] == nil && !deleted.data.contains("secret"))
                #expect(try await oldOnly.nextEvent()?.name == "items.insert")

                let update = try #require(try await newOnly.nextEvent())
                #expect(update.id == String(moved) && update.name == "items.update" && update.data.contains("secret of group 2"))

                let once = try #require(try await both.nextEvent())
                #expect(once.id == String(moved) && once.name == "items.update")
                #expect(try await both.nextEvent()?.name == "items.insert")

                let replayed = try #require(try await resumed.nextEvent())
                #expect(replayed.id == String(moved) && replayed.name == "items.delete" && replayed.data == deleted.data)

                let polled = try await client.call("\(live.baseURL)/changes?topic=groups/1/**&after=\(inserted)")
                let events = try polled.json["events"] as? [[String: Any]] ?? []
                #expect(events.map { $0["event"] as? String } == ["items.delete", "items.insert"])
                #expect((events.first?["data"] as? [String: Any])?["moved"] as? Bool == true)
                let newSide = try await client.call("\(live.baseURL)/changes?topic=groups/2/**&after=\(inserted)")
                #expect(try changeEvents(newSide).map(\.event) == ["items.update"])
            }
        }
    }

    @Test("TRUNCATE is one items.truncate event for every subscriber that could have had a row of the table, in order")
    func truncateIsDelivered() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("truncate_paths") { database, config in
            try await LiveGateway.with(config) { live in
                var (_, group) = try await openStream(client, "\(live.baseURL)/events?topic=groups/7/items")
                let token = try await TestMint.token(subscribe: ["elsewhere/**"], config: config)
                let bearer = [("Authorization", "Bearer \(token)")]
                var (_, other) = try await openStream(client, "\(live.baseURL)/events?topic=elsewhere/**", headers: bearer)
                #expect(try await group.next() == .retry(2000))
                #expect(try await other.next() == .retry(2000))
                try await database.insert(1, group: 7)
                try await database.execute("TRUNCATE items")
                try await database.execute("SELECT tidings.publish(ARRAY['elsewhere/x'], 'marker', '{}')")
                #expect(try await group.nextEvent()?.name == "items.insert")
                let truncate = try #require(try await group.nextEvent())
                #expect(truncate.name == "items.truncate")
                let data = try Self.object(truncate.data)
                #expect(data.keys.sorted() == ["at", "id", "op", "table"])
                #expect(data["op"] as? String == "truncate" && data["table"] as? String == "public.items")
                // The subscriber of unrelated topics gets the marker and not the TRUNCATE.
                #expect(try await other.nextEvent()?.name == "marker")
                let polled = try await client.call("\(live.baseURL)/changes?topic=groups/7/items&after=0")
                #expect(try changeEvents(polled).map(\.event) == ["items.insert", "items.truncate"])
                let unrelated = try await client.call("\(live.baseURL)/changes?topic=elsewhere/**&after=0", headers: bearer)
                #expect(try changeEvents(unrelated).map(\.event) == ["marker"])
            }
        }
    }

    static func lastID(_ database: TestDatabase) async throws -> Int64 {
        let rows = try await database.connection.query("SELECT max(id) FROM tidings.changes", logger: LiveGateway.logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw TestFailure("the log is empty")
    }

    static func object(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(text)")
        }
        return object
    }
}
