import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres

@Suite struct CaptureEventTests {
    static let ordersTable = "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id text, status text, note text)"

    @Test("an event carries id, topics, table, op, new, old (key) and a UTC microsecond time", .timeLimit(.minutes(1)))
    func eventShape() async throws {
        let capture = try TestSupport.capture("orders", ["orders/{id}", "customers/{customer_id}/orders"])
        let url = try await TestSupport.migratedDatabase("capture_shape", setup: Self.ordersTable, tables: [capture])
        let rows = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                """
                INSERT INTO orders (customer_id, status) VALUES ('a/b%c', 'new');
                UPDATE orders SET status = 'paid';
                DELETE FROM orders;
                """,
                on: connection
            )
            return try await TestSupport.texts(
                """
                SELECT concat_ws(' | ', (data->>'id' = id::text)::text, array_to_string(topics, ','), event, "table", op,
                  data->>'table', data->>'op', coalesce(data->'new'->>'status', '-'), coalesce(data->>'old', '-'),
                  (data->'topics' = to_jsonb(topics))::text,
                  (data->>'at' ~ '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z$')::text,
                  ((data->>'at')::timestamptz = at)::text)
                FROM tidings.changes ORDER BY id
                """,
                on: connection
            )
        }
        let topics = "orders/1,customers/a%2Fb%25c/orders"
        #expect(
            rows == [
                "true | \(topics) | orders.insert | public.orders | insert | public.orders | insert | new | - | true | true | true",
                "true | \(topics) | orders.update | public.orders | update | public.orders | update | paid | {\"id\": 1} | true | true | true",
                "true | \(topics) | orders.delete | public.orders | delete | public.orders | delete | - | {\"id\": 1} | true | true | true",
            ]
        )
    }

    @Test("old: full carries every captured column, and columns: limits new and old", .timeLimit(.minutes(1)))
    func fullOldAndColumnFilter() async throws {
        let capture = try TestSupport.capture("orders", ["orders/{id}"], columns: ["id", "status"], old: .full)
        let url = try await TestSupport.migratedDatabase("capture_full", setup: Self.ordersTable, tables: [capture])
        let rows = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                "INSERT INTO orders (customer_id, status, note) VALUES ('7', 'new', 'secret'); UPDATE orders SET status = 'paid'",
                on: connection
            )
            return try await TestSupport.texts(
                "SELECT coalesce(data->>'new', '-') || ' ' || coalesce(data->>'old', '-') FROM tidings.changes ORDER BY id",
                on: connection
            )
        }
        #expect(
            rows == [
                "{\"id\": 1, \"status\": \"new\"} -",
                "{\"id\": 1, \"status\": \"paid\"} {\"id\": 1, \"status\": \"new\"}",
            ]
        )
    }

    @Test("old: none carries no old row; without columns: new has every column", .timeLimit(.minutes(1)))
    func noOld() async throws {
        let capture = try TestSupport.capture("orders", ["orders/{id}"], old: .none)
        let url = try await TestSupport.migratedDatabase("capture_none", setup: Self.ordersTable, tables: [capture])
        let rows = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                "INSERT INTO orders (status) VALUES ('new'); UPDATE orders SET status = 'paid'; DELETE FROM orders",
                on: connection
            )
            return try await TestSupport.texts(
                "SELECT op || ' ' || (data ? 'old')::text || ' ' || coalesce(data->>'new', '-') FROM tidings.changes ORDER BY id",
                on: connection
            )
        }
        #expect(
            rows == [
                "insert false {\"id\": 1, \"note\": null, \"status\": \"new\", \"customer_id\": null}",
                "update false {\"id\": 1, \"note\": null, \"status\": \"paid\", \"customer_id\": null}",
                "delete false -",
            ]
        )
    }

    @Test("a NULL or empty template value drops that topic; no topic left means no event", .timeLimit(.minutes(1)))
    func emptyTopicValues() async throws {
        let capture = try TestSupport.capture("orders", ["customers/{customer_id}", "status/{status}"])
        let url = try await TestSupport.migratedDatabase("capture_empty", setup: Self.ordersTable, tables: [capture])
        let rows = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                """
                INSERT INTO orders (customer_id, status) VALUES (NULL, '');
                INSERT INTO orders (customer_id, status) VALUES ('', NULL);
                INSERT INTO orders (customer_id, status) VALUES ('7', NULL);
                INSERT INTO orders (customer_id, status) VALUES ('8', 'paid');
                """,
                on: connection
            )
            return try await TestSupport.texts("SELECT array_to_string(topics, ',') FROM tidings.changes ORDER BY id", on: connection)
        }
        #expect(rows == ["customers/7", "customers/8,status/paid"])
    }

    @Test("events: [insert] logs inserts only", .timeLimit(.minutes(1)))
    func eventsFilter() async throws {
        let capture = try TestSupport.capture("orders", ["orders/{id}"], events: [.insert])
        let url = try await TestSupport.migratedDatabase("capture_events", setup: Self.ordersTable, tables: [capture])
        let ops = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                "INSERT INTO orders (status) VALUES ('new'); UPDATE orders SET status = 'paid'; DELETE FROM orders",
                on: connection
            )
            return try await TestSupport.texts("SELECT op FROM tidings.changes ORDER BY id", on: connection)
        }
        #expect(ops == ["insert"])
    }

    @Test("a row whose JSON is 100 KB is captured whole", .timeLimit(.minutes(1)))
    func largeRow() async throws {
        let capture = try TestSupport.capture("orders", ["orders/{id}"])
        let url = try await TestSupport.migratedDatabase("capture_large", setup: Self.ordersTable, tables: [capture])
        let lengths = try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute("INSERT INTO orders (note) VALUES (repeat('x', 100000))", on: connection)
            return try await TestSupport.texts(
                "SELECT length(data->'new'->>'note')::text || ' ' || (data->'new'->>'note' = repeat('x', 100000))::text FROM tidings.changes",
                on: connection
            )
        }
        #expect(lengths == ["100000 true"])
    }
}
