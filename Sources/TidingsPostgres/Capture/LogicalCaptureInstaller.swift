import Logging
import PostgresNIO
import TidingsCore

/// Brings the database in line with `capture.mode: logical`, inside the migrator's transaction,
/// after ``CaptureInstaller`` has installed each table's event builder without triggers: each
/// captured table's replica identity, the publication's table list and the recorded mode.
/// Changes only what differs, so a second run takes no table lock.
///
/// Replica identity: `DEFAULT` (the primary key) when the WAL's key is all a table's events need;
/// `FULL` when they need more of the old row: `old: full`, a topic template on a non-key column
/// (a delete's topics, and a move's old topics, come from the old row), or no primary key (an
/// update or delete of a published table without one would otherwise fail in the application).
/// `FULL` makes PostgreSQL log the whole old row on every update and delete: that is its cost.
package struct LogicalCaptureInstaller {
    let connection: PostgresConnection
    let logger: Logger
    let configFile: String

    package init(connection: PostgresConnection, logger: Logger, configFile: String) {
        self.connection = connection
        self.logger = logger
        self.configFile = configFile
    }

    /// - Returns: one line per change made, for the report.
    package func apply(_ captures: [TableCapture], shapes: [TableName: TableShape], settings: CaptureSettings) async throws -> [String] {
        var notes: [String] = []
        for capture in captures {
            guard let shape = shapes[capture.table] else { continue }
            try await run("\(configFile):\(capture.line): setting the replica identity of \(capture.table)") {
                let full = Self.needsFullIdentity(capture, shape: shape)
                let current = try await replicaIdentity(capture.table)
                if current != (full ? "f" : "d") {
                    try await execute("ALTER TABLE \(SQLText.qualified(capture.table)) REPLICA IDENTITY \(full ? "FULL" : "DEFAULT")")
                    notes.append("set replica identity \(full ? "full" : "default") on \(capture.table)")
                }
            }
        }
        notes += try await syncPublication(settings.publication, tables: captures.filter { shapes[$0.table] != nil }.map(\.table))
        try await ChangeLog.recordLogicalCapture(on: connection, logger: logger)
        return notes
    }

    /// Whether the table's events need more of the old row than its primary key.
    package static func needsFullIdentity(_ capture: TableCapture, shape: TableShape) -> Bool {
        if shape.primaryKey.isEmpty || capture.old == .full { return true }
        let key = Set(shape.primaryKey)
        return capture.topics.contains { template in template.columns.contains { !key.contains($0) } }
    }

    private func syncPublication(_ publication: String, tables: [TableName]) async throws -> [String] {
        let found = try await connection.query(
            "SELECT count(*)::int8 FROM pg_catalog.pg_publication WHERE pubname = \(publication)",
            logger: logger
        )
        var exists = false
        for try await (count) in found.decode(Int64.self) { exists = count > 0 }
        let quoted = SQLText.identifier(publication)
        let list = tables.map { SQLText.qualified($0) }.joined(separator: ", ")
        guard exists else {
            try await execute(
                "CREATE PUBLICATION \(quoted)\(tables.isEmpty ? "" : " FOR TABLE " + list) WITH (publish_via_partition_root = true)"
            )
            return ["created publication \(publication)"]
        }
        let members = try await connection.query(
            "SELECT schemaname::text, tablename::text FROM pg_catalog.pg_publication_tables WHERE pubname = \(publication)",
            logger: logger
        )
        var current: Set<TableName> = []
        for try await (schema, name) in members.decode((String, String).self) { current.insert(TableName(schema: schema, name: name)) }
        guard current != Set(tables) else { return [] }
        if tables.isEmpty {
            try await execute("ALTER PUBLICATION \(quoted) DROP TABLE \(current.map { SQLText.qualified($0) }.joined(separator: ", "))")
        } else {
            try await execute("ALTER PUBLICATION \(quoted) SET TABLE \(list)")
        }
        return ["updated publication \(publication): \(tables.map(\.description).joined(separator: ", "))"]
    }

    private func replicaIdentity(_ table: TableName) async throws -> String {
        let rows = try await connection.query(
            "SELECT relreplident::text FROM pg_catalog.pg_class WHERE oid = to_regclass(\(SQLText.qualified(table)))",
            logger: logger
        )
        for try await (identity) in rows.decode(String.self) { return identity }
        return ""
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
}
