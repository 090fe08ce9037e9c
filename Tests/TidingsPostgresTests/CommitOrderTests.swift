import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres

@Suite struct CommitOrderTests {
    static let setup = "CREATE TABLE items (id bigserial PRIMARY KEY, label text)"

    @Test("a transaction that commits later gets larger ids, even if it wrote first", .timeLimit(.minutes(1)))
    func idsFollowCommitOrder() async throws {
        let url = try await TestSupport.migratedDatabase(
            "commit_order",
            setup: Self.setup,
            tables: [try TestSupport.capture("items", ["items/{id}"])]
        )
        let labels = try await TestSupport.withConnection(url) { first in
            try await TestSupport.withConnection(url) { second in
                try await TestSupport.execute("BEGIN; INSERT INTO items (label) VALUES ('A, wrote first')", on: first)
                try await TestSupport.execute("INSERT INTO items (label) VALUES ('B, committed first')", on: second)
                try await TestSupport.execute("COMMIT", on: first)
                return try await TestSupport.texts("SELECT data->'new'->>'label' FROM tidings.changes ORDER BY id", on: second)
            }
        }
        #expect(labels == ["B, committed first", "A, wrote first"])
    }

    @Test("a rolled-back transaction leaves nothing in the log", .timeLimit(.minutes(1)))
    func rollbackLeavesNothing() async throws {
        let url = try await TestSupport.migratedDatabase(
            "commit_rollback",
            setup: Self.setup,
            tables: [try TestSupport.capture("items", ["items/{id}"])]
        )
        let count = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute("BEGIN; INSERT INTO items (label) VALUES ('gone'); ROLLBACK", on: connection)
            return try await TestSupport.text("SELECT count(*)::text FROM tidings.changes", on: connection)
        }
        #expect(count == "0")
    }

}
