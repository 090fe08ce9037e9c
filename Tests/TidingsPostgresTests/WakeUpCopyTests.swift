import Foundation
import PostgresNIO
import Testing
import TidingsCore

@testable import TidingsPostgres

/// The wake-up NOTIFY of `Migrations/0003_events_on_the_wake_up.sql`: a copy of a small event,
/// the same bytes as the log's, and an empty wake-up where no copy rides along.
@Suite struct WakeUpCopyTests {
    static let setup = "CREATE TABLE items (id bigserial PRIMARY KEY, label text)"

    /// Commits `sql`, then a marker, and returns the payloads of every wake-up between on the
    /// copies' channel (named from the database's key), and the reader that knows the key.
    static func wakeUps(
        _ prefix: String,
        after sql: String
    ) async throws -> (payloads: [String], url: PostgresURL, carried: CarriedChange) {
        let url = try await TestSupport.migratedDatabase(
            prefix,
            setup: Self.setup,
            tables: [try TestSupport.capture("items", ["items/{id}"])]
        )
        let key = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.text("SELECT encode(key, 'hex') FROM tidings.wake_up_key", on: connection)
        }
        let carried = CarriedChange(key: try #require(key.flatMap(Self.bytes(hex:))))
        let payloads = try await TestSupport.withConnection(url) { listener in
            try await TestSupport.withConnection(url) { writer in
                // listen(on:consume:) calls consume only once LISTEN is acknowledged, so nothing
                // the writer commits afterwards can be missed; notifications queue meanwhile.
                try await listener.listen(on: carried.channel) { notifications in
                    try await TestSupport.execute(sql + "; SELECT pg_notify('\(carried.channel)', 'marker')", on: writer)
                    var seen: [String] = []
                    for try await notification in notifications {
                        if notification.payload == "marker" { break }
                        seen.append(notification.payload)
                    }
                    return seen
                }
            }
        }
        return (payloads, url, carried)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        return stride(from: 0, to: digits.count, by: 2).compactMap {
            UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)
        }
    }

    @Test("a small event's wake-up carries its id, event, topics and the log's exact data", .timeLimit(.minutes(1)))
    func copyMatchesTheLog() async throws {
        let (payloads, url, carried) = try await Self.wakeUps("copy_bytes", after: "INSERT INTO items (label) VALUES ('caf\u{e9} \"one\"')")
        let first = try #require(payloads.first)
        let copy = try #require(carried.parse(first))
        #expect(payloads.count == 1)
        let logged = try await TestSupport.withConnection(url) { connection in
            let rows = try await connection.query(ChangeLogQuery.query(after: 0, limit: 10), logger: TestSupport.logger)
            return try await ChangeLogQuery.decode(rows)
        }
        let row = try #require(logged.first)
        #expect(copy.id == row.id)
        #expect(copy.event == "items.insert")
        #expect(copy.topics.map(\.description) == ["items/1"])
        #expect(copy.data == row.data)
        #expect(copy.committedAt == row.committedAt)
    }

    @Test(
        "one transaction carries its first 64 events in id order, then folds the rest into one empty wake-up",
        .timeLimit(.minutes(1))
    )
    func bulkTransactionsFoldTheRest() async throws {
        let (payloads, _, carried) = try await Self.wakeUps(
            "copy_bulk",
            after: """
                BEGIN; INSERT INTO items (label) SELECT 'row' FROM generate_series(1, 60);
                INSERT INTO items (label) SELECT 'row' FROM generate_series(1, 40); COMMIT
                """
        )
        #expect(payloads.count == 65)
        #expect(payloads.prefix(64).map { carried.parse($0)?.id } == (1...64).map { Int64($0) })
        #expect(payloads.last == "")
    }

    @Test("the next transaction starts its count again", .timeLimit(.minutes(1)))
    func countIsPerTransaction() async throws {
        let (payloads, _, carried) = try await Self.wakeUps(
            "copy_next",
            after: "INSERT INTO items (label) SELECT 'row' FROM generate_series(1, 64); INSERT INTO items (label) VALUES ('next')"
        )
        #expect(payloads.map { carried.parse($0)?.id } == (1...65).map { Int64($0) })
    }

    @Test("an event too large for NOTIFY sends the empty wake-up, and the log has it", .timeLimit(.minutes(1)))
    func largeEventsAreOnlyInTheLog() async throws {
        let (payloads, url, _) = try await Self.wakeUps("copy_large", after: "INSERT INTO items (label) VALUES (repeat('x', 9000))")
        #expect(payloads == [""])
        let length = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.text("SELECT length(data->'new'->>'label')::text FROM tidings.changes", on: connection)
        }
        #expect(length == "9000")
    }

    static let testKey = CarriedChange(key: Array(repeating: 7, count: 32))

    /// `body` with the tag `testKey` gives it.
    static func signed(_ body: String) -> String {
        String(decoding: testKey.tag(of: body.utf8), as: UTF8.self) + "\n" + body
    }

    @Test("a copy is taken with the right tag, and not with another key or one byte changed")
    func tagIsChecked() {
        let message = Self.signed("[5, 1.5, \"e\", [\"a/b\"]]\n{\"id\": 5}")
        #expect(Self.testKey.parse(message)?.id == 5)
        #expect(Self.testKey.parse(message)?.topics.map(\.description) == ["a/b"])
        #expect(CarriedChange(key: Array(repeating: 8, count: 32)).parse(message) == nil)
        #expect(Self.testKey.parse(message.replacingOccurrences(of: "[5,", with: "[6,")) == nil)
    }

    @Test(
        "messages that carry no event are not taken for one",
        arguments: [
            "", "marker", signed("[1, 2, \"e\"]\n{}"), signed("not json\n{}"), signed("[1, 2, \"e\", []]\n"),
            "[1, 2, \"e\", []]\n{}",
        ]
    )
    func noCopy(message: String) {
        #expect(Self.testKey.parse(message) == nil)
    }
}
