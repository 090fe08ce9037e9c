package import Logging
package import PostgresNIO
package import TidingsCore

/// Checks the config's table captures against the database catalog without changing anything:
/// `tidings check --database` uses it, and ``Migrator`` runs the same checks before installing
/// triggers.
///
/// Every problem is collected (not just the first), each naming the config line: a missing
/// table, a template or `columns:` entry naming a missing column, `old: key` on a table without a
/// primary key.
package struct SchemaInspector: Sendable {
    private let url: PostgresURL
    private let logger: Logger

    package init(url: PostgresURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    /// All problems of `config`'s table captures; empty when every capture can be installed.
    /// - Parameter configFile: the name shown in front of each line number.
    /// - Throws: ``MigrationError`` with code ``MigrationError/Code/connectionFailed`` when the
    ///   database cannot be reached.
    package func problems(in config: TidingsConfig, configFile: String = "tidings.yaml") async throws -> [SchemaProblem] {
        try await PostgresSession.withConnection(url: url, logger: logger) { connection in
            let (problems, shapes) = try await Self.inspect(config.tables, configFile: configFile, on: connection, logger: logger)
            let drift = try await Self.drift(
                config.tables,
                broken: Set(problems.map(\.table)),
                shapes: shapes,
                configFile: configFile,
                triggers: config.capture.mode != .logical,
                on: connection,
                logger: logger
            )
            return problems + drift
        }
    }

    /// What `check --database` warns about without failing: the commit-order lock's deadlocks.
    package static let warnings = [
        """
        warning: capture numbers events at commit under one transaction-level advisory lock. A \
        transaction that runs SET CONSTRAINTS ALL IMMEDIATE (or SET CONSTRAINTS tidings_capture IMMEDIATE) \
        takes it early and holds it while it goes on; if it then waits for a row lock that a committing \
        transaction holds, PostgreSQL ends one of them with a deadlock (SQLSTATE 40P01). Avoid SET \
        CONSTRAINTS … IMMEDIATE on captured tables, or retry on 40P01 (see README, "Capture and locks").
        """
    ]

    /// The problems, and the shape of every table that exists.
    package static func inspect(
        _ captures: [TableCapture],
        configFile: String,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> (problems: [SchemaProblem], shapes: [TableName: TableShape]) {
        var problems: [SchemaProblem] = []
        var shapes: [TableName: TableShape] = [:]
        var seen: Set<TableName> = []
        for capture in captures {
            func problem(_ message: String) {
                problems.append(SchemaProblem(file: configFile, line: capture.line, table: capture.table, message: message))
            }
            let table = capture.table
            guard seen.insert(table).inserted else {
                problem("table \(table) is named twice under topics: (merge the two entries)")
                continue
            }
            guard table.schema != "tidings" else {
                problem("table \(table) is in the tidings schema, which holds the change log itself and cannot be captured")
                continue
            }
            if capture.topics.isEmpty { problem("table \(table) has no topics: give it at least one topic template") }
            if capture.events.isEmpty { problem("table \(table) has an empty events list: use insert, update and/or delete") }
            guard let shape = try await TableShape.read(table, on: connection, logger: logger) else {
                problem("table \(table) does not exist in database (create it, or fix the schema or table name)")
                continue
            }
            guard shape.kind == "r" || shape.kind == "p" else {
                problem("\(table) is not a table (relkind '\(shape.kind)'): only tables and partitioned tables can be captured")
                continue
            }
            shapes[table] = shape
            let known = Set(shape.columns)
            let listing = Self.listing(shape.columns)
            for template in capture.topics {
                for column in template.columns where !known.contains(column) {
                    problem("table \(table) has no column \(column), used in topic '\(template)' (columns: \(listing))")
                }
            }
            for column in capture.columns ?? [] where !known.contains(column) {
                problem("table \(table) has no column \(column), listed under columns: (columns: \(listing))")
            }
            if capture.old == .key, shape.primaryKey.isEmpty {
                problem("table \(table) has no primary key, which old: key needs (add a primary key, or use old: full or old: none)")
            }
        }
        return (problems, shapes)
    }

    private static func listing(_ columns: [String]) -> String {
        columns.count <= 12 ? columns.joined(separator: ", ") : columns.prefix(12).joined(separator: ", ") + ", …"
    }
}
