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

    @Test(
        "one transaction sends one empty wake-up on tidings, however many rows it logs: no copy of an event goes where any role may LISTEN",
        .timeLimit(.minutes(1))
    )
    func oneNotifyPerTransaction() async throws {
        let url = try await TestSupport.migratedDatabase(
            "commit_notify",
            setup: Self.setup,
            tables: [try TestSupport.capture("items", ["items/{id}"])]
        )
        let payloads = try await TestSupport.withConnection(url) { listener in
            try await TestSupport.withConnection(url) { writer in
                // listen(on:consume:) calls consume only once LISTEN is acknowledged, so nothing
                // the writer commits afterwards can be missed; notifications queue meanwhile.
                try await listener.listen(on: "tidings") { notifications in
                    try await TestSupport.execute(
                        """
                        BEGIN;
                        INSERT INTO items (label) VALUES ('one'), ('two');
                        INSERT INTO items (label) VALUES ('three');
                        COMMIT;
                        SELECT pg_notify('tidings', 'marker');
                        """,
                        on: writer
                    )
                    var seen: [String] = []
                    for try await notification in notifications {
                        seen.append(notification.payload)
                        if notification.payload == "marker" { break }
                    }
                    return seen
                }
            }
        }
        #expect(payloads == ["", "marker"])
    }
}
