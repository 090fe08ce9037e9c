import Logging
import PostgresNIO
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

/// Shared set-up for the tests that run against the throwaway cluster.
enum TestSupport {
    static let logger: Logger = {
        var logger = Logger(label: "tidings.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// A config with these captures and otherwise defaults.
    static func config(_ tables: [TableCapture], url: PostgresURL) -> TidingsConfig {
        TidingsConfig(
            tls: nil,
            postgres: .init(url: url),
            auth: .init(jwt: .init(key: .secret("test-secret"))),
            topics: tables.map { .table($0) }
        )
    }

    static func capture(
        _ name: String,
        _ templates: [String],
        events: [ChangeOperation] = ChangeOperation.allCases,
        columns: [String]? = nil,
        old: OldRowMode = .key,
        line: Int = 1
    ) throws -> TableCapture {
        TableCapture(
            table: TableName(schema: "public", name: name),
            topics: try templates.map { try TopicTemplate(parsing: $0) },
            events: events,
            columns: columns,
            old: old,
            line: line
        )
    }

    /// A fresh database with `setup` run in it, migrated with `tables` captured.
    static func migratedDatabase(_ prefix: String, setup: String, tables: [TableCapture]) async throws -> PostgresURL {
        let url = try await TestPostgres.freshDatabase(prefix)
        try await withConnection(url) { try await execute(setup, on: $0) }
        _ = try await Migrator(url: url, logger: logger).migrate(config: config(tables, url: url))
        return url
    }

    static func withConnection<Result: Sendable>(
        _ url: PostgresURL,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 7, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs each statement of `sql`.
    static func execute(_ sql: String, on connection: PostgresConnection) async throws {
        for statement in SQLScript(sql).statements {
            try await connection.perform(PostgresQuery(unsafeSQL: statement.text), logger: logger)
        }
    }

    /// The first column of the first row of `sql`, as text (NULL as nil).
    static func text(_ sql: String, on connection: PostgresConnection) async throws -> String? {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await (value) in rows.decode(String?.self) { return value }
        return nil
    }

    /// Every value of the first column of `sql`, as text.
    static func texts(_ sql: String, on connection: PostgresConnection) async throws -> [String] {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        var values: [String] = []
        for try await (value) in rows.decode(String?.self) { values.append(value ?? "NULL") }
        return values
    }
}
