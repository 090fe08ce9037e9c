import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@testable import TidingsServer

@Suite("GET /rows then stream: the copy converges on the table", .timeLimit(.minutes(6)))
struct RowsConsistencyTests {
    @Test(
        "while a writer inserts, updates, (moves) and deletes, pages then the stream from the first cursor equal the slice, in either capture mode",
        arguments: [false, true],
        CaptureSettings.Mode.allCases
    )
    func pagesThenStreamEqualTheSlice(moves: Bool, mode: CaptureSettings.Mode) async throws {
        // Load-heavy: one such test at a time (see HeavyTestGate).
        await HeavyTestGate.shared.enter()
        defer { HeavyTestGate.shared.leave() }
        let seed = UInt64.random(in: 0...UInt64.max)
        print("RowsConsistencyTests seed \(seed) (moves: \(moves), capture: \(mode))")
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("rows_consistency", logicalCapture: mode == .logical) { database, triggers in
            var config = triggers
            if mode == .logical {
                config.capture = CaptureSettings(mode: .logical, slot: database.url.database)
                _ = try await Migrator(url: database.url, logger: LiveGateway.logger).migrate(config: config)
            }
            for id in 1...60 { try await database.insert(id, group: id % 3 == 0 ? 2 : 1, note: "start") }
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                let copy = try await withThrowingTaskGroup(of: [Int: String]?.self) { group in
                    group.addTask {
                        try await Self.write(seed: seed, url: database.url, moves: moves)
                        return nil
                    }
                    group.addTask { try await Self.load(client: client, base: live.baseURL) }
                    var loaded: [Int: String]?
                    for try await result in group where result != nil { loaded = result }
                    return try #require(loaded)
                }
                // The writer has stopped; the stream was opened from the first page's cursor.
                var table: [Int: String] = [:]
                for text in try await database.texts("SELECT to_jsonb(items)::text FROM public.items WHERE group_id = 1") {
                    let row = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                    table[try #require((row["id"] as? NSNumber)?.intValue)] = try Self.normalized(row)
                }
                #expect(copy.keys.sorted() == table.keys.sorted())
                #expect(copy == table)
            }
        }
    }

    /// Pages through `/rows` for group 1, then streams from the first page's cursor until the
    /// marker published after the writer stopped, applying every event to the copy.
    private static func load(client: HTTPClient, base: String) async throws -> [Int: String] {
        var copy: [Int: String] = [:]
        var cursor: Int64?
        var after: String?
        repeat {
            let url = "\(base)/rows?table=items&topic=groups/1/**&limit=7" + (after.map { "&after=\($0)" } ?? "")
            let answer = try await client.call(url)
            #expect(answer.status == 200)
            let json = try answer.json
            for row in try #require(json["rows"] as? [[String: Any]]) {
                copy[try #require((row["id"] as? NSNumber)?.intValue)] = try normalized(row)
            }
            if cursor == nil { cursor = (json["cursor"] as? NSNumber)?.int64Value }
            after = json["next"] as? String
        } while after != nil
        let (_, stream) = try await openStream(
            client,
            "\(base)/events?topic=groups/1/**",
            headers: [("Last-Event-ID", String(try #require(cursor)))]
        )
        var events = stream
        while let event = try await events.nextEvent() {
            if event.name == "done" { break }
            let data = try #require(try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])
            switch data["op"] as? String {
            case "insert", "update":
                let new = try #require(data["new"] as? [String: Any])
                copy[try #require((new["id"] as? NSNumber)?.intValue)] = try normalized(new)
            case "delete":
                let old = try #require(data["old"] as? [String: Any])
                copy[try #require((old["id"] as? NSNumber)?.intValue)] = nil
            case "truncate":
                copy = [:]
            default:
                break
            }
        }
        return copy
    }

    /// Random writes for a while, then a `done` event on a topic the subscriber asked for.
    /// With `moves`, some updates change a row's group: out of group 1 arrives as a delete with
    /// `"moved": true` (SPEC §5), into it as an update.
    private static func write(seed: UInt64, url: PostgresURL, moves: Bool) async throws {
        var random = SplitMix64(seed: seed)
        try await TestDatabase.connect(url) { writer in
            for step in 0..<300 {
                let id = Int.random(in: 1...90, using: &random)
                let group = Int.random(in: 1...2, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0:
                    try await writer.execute(
                        "INSERT INTO public.items (id, group_id, note) VALUES (\(id), \(group), 'new \(step)') ON CONFLICT (id) DO NOTHING"
                    )
                case 1:
                    try await writer.execute("UPDATE public.items SET note = 'changed \(step)' WHERE id = \(id)")
                case 2:
                    let target = moves ? String(group) : "group_id"
                    try await writer.execute("UPDATE public.items SET group_id = \(target), note = 'moved \(step)' WHERE id = \(id)")
                default:
                    try await writer.execute("DELETE FROM public.items WHERE id = \(id)")
                }
            }
            try await writer.execute("SELECT tidings.publish(ARRAY['groups/1/done'], 'done', '{}')")
        }
    }

    private static func normalized(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
