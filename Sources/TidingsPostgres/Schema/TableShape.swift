import Logging
package import PostgresNIO
package import TidingsCore

/// What the catalog says about one table: enough to validate a capture and generate its trigger.
package struct TableShape: Sendable, Equatable {
    /// `r` (table) or `p` (partitioned table); other kinds cannot carry the trigger.
    package var kind: String
    /// Live columns in table order.
    package var columns: [String]
    /// Primary-key columns in key order; empty when the table has no primary key.
    package var primaryKey: [String]

    package init(kind: String, columns: [String], primaryKey: [String]) {
        self.kind = kind
        self.columns = columns
        self.primaryKey = primaryKey
    }

    /// Reads `table`'s shape, or nil when no relation of that name exists.
    package static func read(_ table: TableName, on connection: PostgresConnection, logger: Logger) async throws -> TableShape? {
        let qualified = SQLText.qualified(table)
        let kindRows = try await connection.query(
            "SELECT relkind::text FROM pg_catalog.pg_class WHERE oid = to_regclass(\(qualified))",
            logger: logger
        )
        var kind: String?
        for try await (relkind) in kindRows.decode(String.self) { kind = relkind }
        guard let kind else { return nil }
        let columnRows = try await connection.query(
            """
            SELECT attname::text FROM pg_catalog.pg_attribute
            WHERE attrelid = to_regclass(\(qualified)) AND attnum > 0 AND NOT attisdropped ORDER BY attnum
            """,
            logger: logger
        )
        var columns: [String] = []
        for try await (name) in columnRows.decode(String.self) { columns.append(name) }
        let keyRows = try await connection.query(
            """
            SELECT a.attname::text FROM pg_catalog.pg_index i
            JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = to_regclass(\(qualified)) AND i.indisprimary
            ORDER BY array_position(i.indkey::int2[], a.attnum)
            """,
            logger: logger
        )
        var primaryKey: [String] = []
        for try await (name) in keyRows.decode(String.self) { primaryKey.append(name) }
        return TableShape(kind: kind, columns: columns, primaryKey: primaryKey)
    }
}
