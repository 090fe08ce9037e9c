import Logging
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@Suite struct MigratorTests {
    static let ordersTable = "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id text, status text)"

    @Test("migrate applies the bundled files once, and a second run changes nothing", .timeLimit(.minutes(1)))
    func migrateIsIdempotent() async throws {
        let url = try await TestPostgres.freshDatabase("migrate_idempotent")
        try await TestSupport.withConnection(url) { try await TestSupport.execute(Self.ordersTable, on: $0) }
        let config = TestSupport.config([try TestSupport.capture("orders", ["orders/{id}"])], url: url)
        let migrator = Migrator(url: url, logger: TestSupport.logger)
        let orders = TableName(schema: "public", name: "orders")

        let bundled = try MigrationSource.bundled.files().map(\.version)
        #expect(bundled.count >= 2)
        let first = try await migrator.migrate(config: config)
        #expect(first.appliedMigrations == bundled)
        #expect(first.installedCaptures == [orders])
        let triggerBefore = try await TestSupport.withConnection(url) { try await Self.triggerState($0) }

        let second = try await migrator.migrate(config: config)
        #expect(second.changedNothing)
        #expect(second.unchangedCaptures == [orders])
        let triggerAfter = try await TestSupport.withConnection(url) { try await Self.triggerState($0) }
        #expect(triggerAfter == triggerBefore)
        let versions = try await TestSupport.withConnection(url) {
            try await TestSupport.texts("SELECT version FROM tidings.schema_migrations", on: $0)
        }
        #expect(versions.sorted() == bundled)
    }

    @Test("two concurrent migrates both succeed and apply each file once", .timeLimit(.minutes(1)))
    func concurrentMigrates() async throws {
        let url = try await TestPostgres.freshDatabase("migrate_concurrent")
        try await TestSupport.withConnection(url) { try await TestSupport.execute(Self.ordersTable, on: $0) }
        let config = TestSupport.config([try TestSupport.capture("orders", ["orders/{id}"])], url: url)
        let migrator = Migrator(url: url, logger: TestSupport.logger)
        async let one = migrator.migrate(config: config)
        async let two = migrator.migrate(config: config)
        let reports = try await [one, two]
        let bundled = try MigrationSource.bundled.files().count
        #expect(reports.map(\.appliedMigrations.count).sorted() == [0, bundled])
        #expect(reports.map(\.installedCaptures.count).sorted() == [0, 1])
        let counts = try await TestSupport.withConnection(url) {
            try await TestSupport.texts(
                """
                SELECT count(*)::text FROM tidings.schema_migrations
                UNION ALL SELECT count(*)::text FROM pg_trigger WHERE tgname = 'tidings_capture'
                """,
                on: $0
            )
        }
        #expect(counts == [String(bundled), "1"])
    }

    @Test("a failing migration rolls back everything and names the file and statement", .timeLimit(.minutes(1)))
    func brokenMigrationRollsBack() async throws {
        let url = try await TestPostgres.freshDatabase("migrate_broken")
        try await TestSupport.withConnection(url) { try await TestSupport.execute(Self.ordersTable, on: $0) }
        let broken = MigrationFile(
            name: "0002_broken.sql",
            sql: """
                CREATE TABLE tidings.fine (x int);
                -- a comment; with a semicolon
                SELECT 'a;b';
                SELECT x / (x - 1) FROM (VALUES (2), (1)) AS t (x);
                CREATE TABLE tidings.never (x no_such_type);
                """
        )
        let migrator = Migrator(url: url, logger: TestSupport.logger, migrations: .bundled.adding([broken]))
        let config = TestSupport.config([try TestSupport.capture("orders", ["orders/{id}"])], url: url)
        let error = await #expect(throws: MigrationError.self) { try await migrator.migrate(config: config) }
        #expect(error?.code == .migrationFailed)
        #expect(error?.description.contains("Migrations/0002_broken.sql, statement 3 (line 4)") == true)
        // The error comes after a first row: it must still be seen, and name this statement.
        #expect(error?.description.contains("division by zero (SQLSTATE 22012)") == true)
        let left = try await TestSupport.withConnection(url) {
            try await TestSupport.texts(
                """
                SELECT (to_regnamespace('tidings') IS NULL)::text
                UNION ALL SELECT count(*)::text FROM pg_trigger WHERE tgname = 'tidings_capture'
                """,
                on: $0
            )
        }
        #expect(left == ["true", "0"])
    }

    @Test("the shipped migration files are found")
    func bundledFilesAreFound() throws {
        let files = try MigrationSource.bundled.files()
        #expect(files.first?.name == "0001_change_log.sql")
        #expect(files.allSatisfy { !SQLScript($0.sql).statements.isEmpty })
    }

    /// The capture trigger's oid and its function's oid: they change when it is reinstalled.
    static func triggerState(_ connection: PostgresConnection) async throws -> [String] {
        try await TestSupport.texts(
            "SELECT oid::text || '/' || tgfoid::text FROM pg_trigger WHERE tgname = 'tidings_capture' ORDER BY oid",
            on: connection
        )
    }
}
