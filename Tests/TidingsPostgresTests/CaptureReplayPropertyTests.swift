import Foundation
import NIOCore
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

/// A client that applies its stream (inserts and updates set the row, deletes and moved deletes
/// remove it, a TRUNCATE clears the table) ends with exactly its slice of the table.
@Suite struct CaptureReplayPropertyTests {
    @Test(
        "after random inserts, moving updates, deletes and truncates each owner's client equals SELECT … WHERE owner = X",
        .timeLimit(.minutes(2))
    )
    func clientsEqualTheirSlice() async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("CaptureReplayPropertyTests seed \(seed)")
        var random = SplitMix64(seed: seed)
        let capture = try TestSupport.capture("items", ["owners/{owner}/items"])
        let url = try await TestSupport.migratedDatabase(
            "capture_property",
            setup: "CREATE TABLE items (id int PRIMARY KEY, owner int NOT NULL, title text)",
            tables: [capture]
        )
        try await TestSupport.withConnection(url) { connection in
            var live: [Int: Int] = [:]
            var nextID = 1
            for step in 0..<400 {
                var statements: [String] = []
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    let roll = Int.random(in: 0..<100, using: &random)
                    let someID = live.keys.sorted().randomElement(using: &random)
                    let owner = Int.random(in: 1...4, using: &random)
                    if roll < 40 || someID == nil {
                        statements.append("INSERT INTO items VALUES (\(nextID), \(owner), 't\(step)')")
                        live[nextID] = owner
                        nextID += 1
                    } else if let id = someID, roll < 65 {
                        statements.append("UPDATE items SET owner = \(owner), title = 'moved \(step)' WHERE id = \(id)")
                        live[id] = owner
                    } else if let id = someID, roll < 80 {
                        statements.append("UPDATE items SET title = 'edited \(step)' WHERE id = \(id)")
                    } else if let id = someID, roll < 98 {
                        statements.append("DELETE FROM items WHERE id = \(id)")
                        live[id] = nil
                    } else {
                        statements.append("TRUNCATE items")
                        live = [:]
                    }
                }
                // Several statements in one transaction when the draw says so.
                let sql =
                    statements.count > 1 && !statements.contains("TRUNCATE items")
                    ? "BEGIN; " + statements.joined(separator: "; ") + "; COMMIT"
                    : statements.joined(separator: "; ")
                try await TestSupport.execute(sql, on: connection)
            }
            let log = try await Self.readLog(connection)
            for owner in 1...4 {
                let grant = Grant(
                    granted: [try Selector(parsing: "owners/**")],
                    requested: [try Selector(parsing: "owners/\(owner)/**")]
                )
                var client: [String: String] = [:]
                for change in log {
                    guard let view = grant.view(of: change) else { continue }
                    let data = try Self.object(view.data)
                    switch data["op"] as? String {
                    case "insert", "update":
                        let row = try #require(data["new"] as? [String: Any])
                        client[Self.key(row)] = try Self.canonical(row)
                    case "delete":
                        client[Self.key(try #require(data["old"] as? [String: Any]))] = nil
                    case "truncate":
                        client = [:]
                    default:
                        Issue.record("unexpected event \(view.event), seed \(seed)")
                    }
                }
                let rows = try await TestSupport.texts(
                    "SELECT to_jsonb(i)::text FROM items AS i WHERE owner = \(owner) ORDER BY id",
                    on: connection
                )
                var table: [String: String] = [:]
                for text in rows {
                    let row = try Self.object(ByteBuffer(string: text))
                    table[Self.key(row)] = try Self.canonical(row)
                }
                #expect(client == table, "owner \(owner), seed \(seed)")
            }
        }
    }

    static func readLog(_ connection: PostgresConnection) async throws -> [Change] {
        var changes: [Change] = []
        var cursor: Int64 = 0
        while true {
            let page = try await ChangeLog.page(after: cursor, limit: 100, on: connection, logger: TestSupport.logger)
            guard let last = page.changes.last else { return changes }
            changes += page.changes
            cursor = last.id
        }
    }

    static func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw TestSupportFailure("not a JSON object")
        }
        return object
    }

    static func key(_ row: [String: Any]) -> String { "\(row["id"] ?? "-")" }

    static func canonical(_ row: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self)
    }
}

struct TestSupportFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
