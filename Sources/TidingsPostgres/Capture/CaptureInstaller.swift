import Logging
package import PostgresNIO
package import TidingsCore

/// Brings the capture triggers in line with the config, inside the migrator's transaction:
/// installs missing ones, replaces changed ones, drops those of tables the config no longer
/// names, and leaves unchanged ones alone (no DDL, so no table lock).
package struct CaptureInstaller {
    /// Which tables' triggers were created, replaced, left alone or dropped.
    package struct Outcome: Sendable {
        package var installed: [TableName] = []
        package var updated: [TableName] = []
        package var unchanged: [TableName] = []
        package var removed: [TableName] = []
    }

    private struct Installed {
        var functionName: String
        var hash: String
    }

    let connection: PostgresConnection
    let logger: Logger
    let configFile: String

    package init(connection: PostgresConnection, logger: Logger, configFile: String) {
        self.connection = connection
        self.logger = logger
        self.configFile = configFile
    }

    /// - Parameter triggers: false in `capture.mode: logical`: the event builders and
    ///   `tidings.captures` are installed as in triggers mode, but no table gets a trigger.
    package func apply(_ captures: [TableCapture], shapes: [TableName: TableShape], triggers: Bool = true) async throws -> Outcome {
        var outcome = Outcome()
        var registry = try await readRegistry()
        let wanted = Set(captures.map(\.table.description))
        for (tableName, installed) in registry.sorted(by: { $0.key < $1.key }) where !wanted.contains(tableName) {
            let table = Self.tableName(tableName)
            try await run("removing the capture trigger of \(tableName)") {
                if try await exists(table) {
                    for statement in CaptureFunction.dropTriggers(on: table) { try await execute(statement) }
                }
                for statement in CaptureFunction.dropFunctions(installed.functionName) { try await execute(statement) }
                try await connection.perform("DELETE FROM tidings.captures WHERE table_name = \(tableName)", logger: logger)
                try await connection.perform("DELETE FROM tidings.capture_problems WHERE table_name = \(tableName)", logger: logger)
            }
            registry[tableName] = nil
            outcome.removed.append(table)
        }
        let names = CaptureFunction.functionNames(for: captures.map(\.table))
        for capture in captures {
            guard let shape = shapes[capture.table], let name = names[capture.table] else { continue }
            let function = CaptureFunction(capture: capture, shape: shape, functionName: name, triggers: triggers)
            let previous = registry[capture.table.description]
            if let previous, previous.hash == function.hash, previous.functionName == name, try await triggerIsInstalled(function) {
                outcome.unchanged.append(capture.table)
                continue
            }
            try await run("\(configFile):\(capture.line): installing the capture trigger on \(capture.table)") {
                try await execute(function.builder.createFunction)
                try await execute(function.createFunction)
                for statement in CaptureFunction.dropTriggers(on: capture.table) { try await execute(statement) }
                for statement in function.createTriggers { try await execute(statement) }
                if let previous, previous.functionName != name {
                    for statement in CaptureFunction.dropFunctions(previous.functionName) { try await execute(statement) }
                }
                let table = capture.table.description
                try await connection.perform(
                    """
                    INSERT INTO tidings.captures
                        (table_name, function_name, config_hash, installed_at, relation, event_prefix, truncate_topics)
                    VALUES (
                        \(table), \(name), \(function.hash), now(), to_regclass(\(SQLText.qualified(capture.table)))::oid,
                        \(capture.table.eventPrefix), \(function.truncateSelectors)
                    )
                    ON CONFLICT (table_name) DO UPDATE
                    SET function_name = excluded.function_name, config_hash = excluded.config_hash, installed_at = now(),
                        relation = excluded.relation, event_prefix = excluded.event_prefix,
                        truncate_topics = excluded.truncate_topics
                    """,
                    logger: logger
                )
                try await connection.perform("DELETE FROM tidings.capture_problems WHERE table_name = \(table)", logger: logger)
            }
            if previous == nil { outcome.installed.append(capture.table) } else { outcome.updated.append(capture.table) }
        }
        return outcome
    }

    private func readRegistry() async throws -> [String: Installed] {
        let rows = try await connection.query(
            "SELECT table_name, function_name, coalesce(config_hash, '') FROM tidings.captures",
            logger: logger
        )
        var registry: [String: Installed] = [:]
        for try await (table, function, hash) in rows.decode((String, String, String).self) {
            registry[table] = Installed(functionName: function, hash: hash)
        }
        return registry
    }

    private func triggerIsInstalled(_ function: CaptureFunction) async throws -> Bool {
        let rows = try await connection.query(
            """
            SELECT count(*)::int8 FROM pg_catalog.pg_trigger
            WHERE tgrelid = to_regclass(\(SQLText.qualified(function.table)))
              AND tgname IN (\(CaptureFunction.triggerName), \(CaptureFunction.truncateTriggerName))
              AND tgfoid = to_regprocedure(\(CaptureFunction.qualifiedFunction(function.functionName) + "()"))
            """,
            logger: logger
        )
        for try await (count) in rows.decode(Int64.self) { return count == function.createTriggers.count }
        return false
    }

    private func exists(_ table: TableName) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT to_regclass(\(SQLText.qualified(table))) IS NOT NULL",
            logger: logger
        )
        for try await (found) in rows.decode(Bool.self) { return found }
        return false
    }

    private func execute(_ sql: String) async throws {
        try await connection.perform(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    private func run(_ what: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError(.captureFailed, "\(what) failed: \(PostgresErrorText.describe(error))")
        }
    }

    /// `public.orders` back to its parts; names are validated identifiers, so they hold no `.`.
    private static func tableName(_ text: String) -> TableName {
        guard let dot = text.firstIndex(of: ".") else { return TableName(schema: "public", name: text) }
        return TableName(schema: String(text[..<dot]), name: String(text[text.index(after: dot)...]))
    }
}
