import PostgresNIO
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsPostgres

@Suite("Topic-filtered reads of the log", .timeLimit(.minutes(2)))
struct TopicKeysTests {
    @Test(
        "selectors map to the index keys of every topic they can match",
        arguments: [
            ("orders/42", ["orders/42"]),
            ("customers/7/**", ["customers/7", "customers/7/**"]),
            ("customers/*/orders", ["customers/**"]),
            ("a/b/*/d/**", ["a/b/**"]),
        ]
    )
    func selectorKeys(selector: String, keys: [String]) throws {
        #expect(TopicKeys.keys(for: [try Selector(parsing: selector)]) == keys)
    }

    @Test("a selector without a literal first segment reads the log by id alone")
    func unindexableSelectors() throws {
        #expect(TopicKeys.keys(for: [try Selector(parsing: "**")]) == nil)
        #expect(TopicKeys.keys(for: [try Selector(parsing: "orders/1"), try Selector(parsing: "*/orders")]) == nil)
    }

    @Test("on a log of 50,000 events every topic-filtered read walks the key index, never the log, and finds exactly the matches")
    func indexedReadOnALargeLog() async throws {
        let url = try await TestPostgres.freshDatabase("topic_keys")
        _ = try await Migrator(url: url, logger: TestSupport.logger).migrate(config: TestSupport.config([], url: url))
        try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                """
                INSERT INTO tidings.changes (id, topics, event, "table", op, data, at)
                SELECT i, ARRAY['orders/' || i, 'customers/' || (i % 1000) || '/orders'], 'orders.insert', 'public.orders',
                    'insert', jsonb_build_object('id', i), now()
                FROM generate_series(1, 50000) AS i;
                INSERT INTO tidings.change_keys (key, id)
                SELECT unnest(tidings.change_key_set(topics, old_topics, op)), id FROM tidings.changes;
                ANALYZE tidings.changes;
                """,
                on: connection
            )
            for selector in ["customers/42/orders", "customers/42/**", "customers/*/orders"] {
                let keys = try #require(TopicKeys.keys(for: [try Selector(parsing: selector)]))
                let query = ChangeLog.candidatesQuery(after: 0, keys: keys, limit: 100)
                var plan = ""
                let explain = PostgresQuery(unsafeSQL: "EXPLAIN " + query.sql, binds: query.binds)
                for try await line in try await connection.query(explain, logger: TestSupport.logger).decode(String.self) {
                    plan += line + "\n"
                }
                let changes = try await ChangeLog.candidates(after: 0, keys: keys, limit: 100, on: connection, logger: TestSupport.logger)
                let matching = try Selector(parsing: selector)
                #expect(plan.contains("using change_keys_pkey"), "\(plan)")
                #expect(!plan.contains("Seq Scan"), "\(plan)")
                if selector == "customers/*/orders" {
                    #expect(changes.map(\.id) == Array(1...100).map(Int64.init))
                } else {
                    #expect(changes.map(\.id) == Array(stride(from: 42, through: 50_000, by: 1000)).map(Int64.init))
                }
                #expect(changes.allSatisfy { $0.topics.contains { matching.matches($0) } })
            }
        }
    }
}
