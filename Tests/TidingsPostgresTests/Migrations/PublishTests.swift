import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres

@Suite struct PublishTests {
    @Test("tidings.publish in a transaction is logged at commit, and not after a rollback", .timeLimit(.minutes(1)))
    func publishIsTransactional() async throws {
        let url = try await TestSupport.migratedDatabase("publish_tx", setup: "SELECT 1", tables: [])
        let (during, after, outbox) = try await TestSupport.withConnection(url) { first in
            try await TestSupport.withConnection(url) { second in
                try await TestSupport.execute(
                    "BEGIN; SELECT tidings.publish(ARRAY['chat/1', 'chat/all'], 'message', '{\"text\": \"hi\"}')",
                    on: first
                )
                let during = try await TestSupport.text("SELECT count(*)::text FROM tidings.changes", on: second)
                try await TestSupport.execute("COMMIT", on: first)
                // The id is drawn at commit by this session, so currval gives it to the publisher.
                let published = try await TestSupport.text("SELECT currval('tidings.change_id')::text", on: first)
                try await TestSupport.execute(
                    "BEGIN; SELECT tidings.publish(ARRAY['chat/1'], 'message', '{}'); ROLLBACK",
                    on: first
                )
                let after = try await TestSupport.texts(
                    """
                    SELECT concat_ws(' | ', array_to_string(topics, ','), event, coalesce("table", 'NULL'), op, data->>'event',
                      data->'data'->>'text', (data->>'id' = id::text)::text, (data->'topics' = to_jsonb(topics))::text,
                      (data ? 'at')::text)
                    FROM tidings.changes ORDER BY id
                    """,
                    on: second
                )
                let outbox = try await TestSupport.text("SELECT count(*)::text FROM tidings.outbox", on: second)
                return (during, [published ?? "-"] + after, outbox)
            }
        }
        #expect(during == "0")
        #expect(after == ["1", "chat/1,chat/all | message | NULL | publish | message | hi | true | true | true"])
        #expect(outbox == "0")
    }

    @Test("tidings.publish refuses bad topics, event names and data with SQLSTATE 22023", .timeLimit(.minutes(1)))
    func publishValidates() async throws {
        let url = try await TestSupport.migratedDatabase("publish_bad", setup: "SELECT 1", tables: [])
        let bad = [
            "ARRAY[]::text[], 'e', '{}'",
            "NULL, 'e', '{}'",
            "ARRAY[NULL]::text[], 'e', '{}'",
            "ARRAY['a//b'], 'e', '{}'",
            "ARRAY['/a'], 'e', '{}'",
            "ARRAY['a/'], 'e', '{}'",
            "ARRAY['ok', 'a/*'], 'e', '{}'",
            "ARRAY['a/**'], 'e', '{}'",
            "ARRAY['a'], '', '{}'",
            "ARRAY['a'], NULL, '{}'",
            "ARRAY['a'], 'two words', '{}'",
            "ARRAY['a'], E'line\\nbreak', '{}'",
            "ARRAY['a'], E'trailing\\n', '{}'",
            "ARRAY['a'], repeat('e', 201), '{}'",
            "ARRAY['a'], 'tidings.reset', '{}'",
            "ARRAY['a'], 'e', NULL",
        ]
        let states = try await TestSupport.withConnection(url) { connection in
            var states: [String] = []
            for arguments in bad {
                do {
                    try await connection.perform(
                        PostgresQuery(unsafeSQL: "SELECT tidings.publish(\(arguments))"),
                        logger: TestSupport.logger
                    )
                    states.append("accepted: \(arguments)")
                } catch let error as PSQLError {
                    states.append(error.serverInfo?[.sqlState] ?? "no state: \(arguments)")
                }
            }
            try await connection.perform(
                "SELECT tidings.publish(ARRAY['a/b', 'c'], 'Name_1.x:y-z', 'null'::jsonb)",
                logger: TestSupport.logger
            )
            return states
        }
        #expect(states == Array(repeating: "22023", count: bad.count))
    }
}
