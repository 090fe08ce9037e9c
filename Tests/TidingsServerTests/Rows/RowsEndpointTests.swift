import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("GET /rows: a snapshot of a table's rows", .timeLimit(.minutes(3)))
struct RowsEndpointTests {
    @Test("a page holds the rows granted by one topic and requested by another, with the event's columns, paged by key")
    func grantedAndRequestedRowsInKeyOrder() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("rows_page") { database, config in
            let config = try config.with(public: [])
            let token = try await TestMint.token(subscribe: ["groups/1/**", "items/5"], config: config)
            for (id, group) in [(1, 1), (2, 2), (3, 1), (4, 2), (5, 2), (6, 1), (7, 1)] { try await database.insert(id, group: group) }
            try await LiveGateway.with(config) { live in
                let auth = [("Authorization", "Bearer \(token)")]
                var ids: [Int] = []
                var after: String?
                var cursors: [Int64] = []
                repeat {
                    let url = "\(live.baseURL)/rows?table=items&topic=items/*&limit=2" + (after.map { "&after=\($0)" } ?? "")
                    let answer = try await client.call(url, headers: auth)
                    #expect(answer.status == 200)
                    let json = try answer.json
                    let rows = try #require(json["rows"] as? [[String: Any]])
                    #expect(rows.count <= 2)
                    ids += rows.compactMap { ($0["id"] as? NSNumber)?.intValue }
                    #expect(rows.allSatisfy { Set($0.keys) == ["id", "group_id", "note"] })
                    cursors.append(try #require((json["cursor"] as? NSNumber)?.int64Value))
                    after = json["next"] as? String
                } while after != nil
                // Group 1 is visible through groups/1/items; item 5 through its own grant; 2 and 4 not at all.
                #expect(ids == [1, 3, 5, 6, 7])
                let last = try await database.lastChangeID()
                #expect(cursors.allSatisfy { $0 == last })
            }
        }
    }

    @Test("pages follow the key's own order, 2 before 10, and together hold every row once")
    func pagesInKeyOrder() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("rows_order") { database, config in
            for id in 1...23 { try await database.insert(id) }
            try await LiveGateway.with(config) { live in
                var ids: [Int] = []
                var after: String?
                repeat {
                    let url = "\(live.baseURL)/rows?table=items&topic=items/*&limit=4" + (after.map { "&after=\($0)" } ?? "")
                    let json = try await client.call(url).json
                    ids += try #require(json["rows"] as? [[String: Any]]).compactMap { ($0["id"] as? NSNumber)?.intValue }
                    after = json["next"] as? String
                } while after != nil
                #expect(ids == Array(1...23))
            }
        }
    }

    @Test("the rows equal the data an event carries for the same row, byte for byte")
    func rowsMatchEventData() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("rows_bytes") { database, config in
            try await database.insert(9, group: 3, note: "é \"quoted\" \\ / %")
            try await LiveGateway.with(config) { live in
                let rows = try await client.call("\(live.baseURL)/rows?table=public.items&topic=items/9")
                let changes = try await client.call("\(live.baseURL)/changes?topic=items/9&after=0")
                let event = try #require(try changes.json["events"] as? [[String: Any]]).first
                let new = try #require((event?["data"] as? [String: Any])?["new"])
                let newText = String(decoding: try JSONSerialization.data(withJSONObject: new, options: [.sortedKeys]), as: UTF8.self)
                let row = try #require((try rows.json["rows"] as? [Any])?.first)
                let rowText = String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self)
                #expect(rowText == newText)
                #expect(rows.body.contains(#""note": "é \"quoted\" \\ / %""#))
            }
        }
    }

    @Test("selector literals compare with the rendered topic by bytes: 007 and +7 are not 7")
    func literalsCompareByBytes() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("rows_exact") { database, config in
            try await database.insert(7, group: 1)
            try await LiveGateway.with(config) { live in
                for (selector, expected) in [
                    ("items/7", [7]), ("items/007", []), ("items/%2B7", []), ("items/7%25", []), ("groups/1/items", [7]),
                ] {
                    let answer = try await client.call("\(live.baseURL)/rows?table=items&topic=\(selector)")
                    #expect(answer.status == 200, "\(selector)")
                    let rows = try #require(try answer.json["rows"] as? [[String: Any]])
                    #expect(rows.compactMap { ($0["id"] as? NSNumber)?.intValue } == expected, "\(selector)")
                }
            }
        }
    }

    @Test("every bad parameter, an uncaptured table and a selector outside the grant get a 4xx naming it")
    func badRequests() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("rows_bad") { database, config in
            let config = try config.with(public: [])
            let token = try await TestMint.token(subscribe: ["groups/1/**"], config: config)
            try await LiveGateway.with(config) { live in
                let auth = [("Authorization", "Bearer \(token)")]
                let base = "\(live.baseURL)/rows?"
                for (query, status, code, named) in [
                    ("topic=items/1", 400, "bad_table", "table"),
                    ("table=items&table=items&topic=groups/1/items", 400, "bad_table", "table"),
                    ("table=orders&topic=groups/1/items", 404, "table_not_captured", "orders"),
                    ("table=items", 400, "missing_topic", "topic"),
                    ("table=items&topic=groups//items", 400, "bad_selector", "groups//items"),
                    ("table=items&topic=groups/1/items&limit=0", 400, "bad_limit", "limit"),
                    ("table=items&topic=groups/1/items&limit=1001", 400, "bad_limit", "limit"),
                    ("table=items&topic=groups/1/items&limit=ten", 400, "bad_limit", "limit"),
                    ("table=items&topic=groups/1/items&after=", 400, "bad_after", "after"),
                    ("table=items&topic=groups/1/items&after=x", 400, "bad_after", "after"),
                    ("table=items&topic=groups/1/items&after=1&after=2", 400, "bad_after", "after"),
                    ("table=items&topic=groups/2/items", 403, "forbidden", "groups/2/items"),
                ] {
                    let answer = try await client.call(base + query, headers: auth)
                    #expect(answer.status == status, "\(query)")
                    #expect(try answer.json["error"] as? String == code, "\(query)")
                    #expect((try answer.json["detail"] as? String)?.contains(named) == true, "\(query): \(answer.body)")
                }
                let anonymous = try await client.call(base + "table=items&topic=groups/1/items")
                #expect(anonymous.status == 401)
                #expect(anonymous.headers["www-authenticate"].first?.hasPrefix("Bearer") == true)
                try await database.execute("DROP TABLE public.items")
                let dropped = try await client.call(base + "table=items&topic=groups/1/items", headers: auth)
                #expect(dropped.status == 404)
                #expect(try dropped.json["error"] as? String == "table_missing")
            }
        }
    }
}
