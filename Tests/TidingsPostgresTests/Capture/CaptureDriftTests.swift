import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres

/// SPEC §6.7: a schema change never fails the application's writes; the event carries what can
/// still be read, the problem is counted, and `check --database` names it.
@Suite struct CaptureDriftTests {
    @Test(
        "dropping, renaming and retyping captured and template columns while the application writes fails no write",
        .timeLimit(.minutes(2))
    )
    func schemaChangesFailNoWrite() async throws {
        let capture = try TestSupport.capture(
            "items",
            ["owners/{owner_id}/items", "items/{id}"],
            columns: ["id", "owner_id", "title"],
            line: 12
        )
        let url = try await TestSupport.migratedDatabase(
            "drift_writes",
            setup: "CREATE TABLE items (id int PRIMARY KEY, owner_id int, title text, body text)",
            tables: [capture]
        )
        let writes = 120
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await TestSupport.withConnection(url) { writer in
                    for id in 1...writes {
                        try await TestSupport.execute(
                            "INSERT INTO items (id) VALUES (\(id)); UPDATE items SET body = 'b' WHERE id = \(id)",
                            on: writer
                        )
                    }
                }
            }
            try await TestSupport.withConnection(url) { admin in
                for statement in [
                    "ALTER TABLE items ALTER COLUMN title TYPE varchar(40)",
                    "ALTER TABLE items DROP COLUMN title",
                    "ALTER TABLE items RENAME COLUMN owner_id TO owner",
                    "ALTER TABLE items ALTER COLUMN id TYPE bigint",
                ] {
                    try await TestSupport.execute(statement, on: admin)
                }
            }
            try await group.waitForAll()
        }
        try await TestSupport.withConnection(url) { connection in
            try await TestSupport.execute(
                "INSERT INTO items (id, owner) VALUES (1000, 5); DELETE FROM items WHERE id = 1000",
                on: connection
            )
            #expect(try await TestSupport.text("SELECT count(*)::text FROM items", on: connection) == String(writes))
            let last = try await TestSupport.texts(
                "SELECT concat_ws(' | ', event, array_to_string(topics, ','), data->>'new', data->>'old') FROM tidings.changes WHERE data->'new'->>'id' = '1000' OR data->'old'->>'id' = '1000' ORDER BY id",
                on: connection
            )
            #expect(
                last == [
                    #"items.insert | items/1000 | {"id": 1000, "title": null, "owner_id": null}"#,
                    #"items.delete | items/1000 | {"id": 1000}"#,
                ]
            )
            let problems = try await TestSupport.texts("SELECT problem FROM tidings.capture_problems ORDER BY problem", on: connection)
            #expect(
                problems == [
                    "column owner_id is gone (dropped or renamed); captured as null",
                    "column title is gone (dropped or renamed); captured as null",
                ]
            )
        }
        let config = TestSupport.config([capture], url: url)
        let found = try await SchemaInspector(url: url, logger: TestSupport.logger).problems(in: config, configFile: "t.yaml")
        let text = found.map(\.description)
        #expect(text.contains { $0.hasPrefix("t.yaml:12:") && $0.contains("no column title") })
        #expect(text.contains { $0.hasPrefix("t.yaml:12:") && $0.contains("no column owner_id") })
        #expect(text.contains { $0.hasPrefix("t.yaml:12:") && $0.contains("met a problem") })
    }
}
