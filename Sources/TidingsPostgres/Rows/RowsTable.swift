import Logging
package import PostgresNIO
package import TidingsCore

/// What `/rows` needs of a captured table's catalog entry, read inside the snapshot's
/// transaction: each column's type, for the predicates and the paging key, and the primary key.
package struct RowsTable: Sendable {
    /// Every live column, in table order, with its type as SQL text (`format_type`).
    package var columns: [(name: String, sqlType: String, type: RowsPredicate.ColumnType)]
    /// Primary-key columns in key order; empty when the table has none.
    package var primaryKey: [String]

    /// The table's entry, or nil when no table of that name exists.
    package static func read(_ table: TableName, on connection: PostgresConnection, logger: Logger) async throws -> RowsTable? {
        let qualified = SQLText.qualified(table)
        let rows = try await connection.query(
            """
            -- indkey is an int2vector, whose subscripts start at 0: + 1 keeps 0 for "not in the key".
            SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.atttypid::int8,
                coalesce(array_position(i.indkey::int2[], a.attnum) + 1, 0)::int8
            FROM pg_catalog.pg_attribute AS a
            LEFT JOIN pg_catalog.pg_index AS i ON i.indrelid = a.attrelid AND i.indisprimary
            WHERE a.attrelid = to_regclass(\(qualified)) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """,
            logger: logger
        )
        var columns: [(name: String, sqlType: String, type: RowsPredicate.ColumnType)] = []
        var keyPositions: [(position: Int64, name: String)] = []
        for try await (name, sqlType, oid, keyPosition) in rows.decode((String, String, Int64, Int64).self) {
            columns.append((name, sqlType, Self.type(oid: oid)))
            if keyPosition > 0 { keyPositions.append((keyPosition, name)) }
        }
        guard !columns.isEmpty else { return nil }
        return RowsTable(columns: columns, primaryKey: keyPositions.sorted { $0.position < $1.position }.map(\.name))
    }

    private static func type(oid: Int64) -> RowsPredicate.ColumnType {
        switch oid {
        case 21: .integer(bits: 16)
        case 23: .integer(bits: 32)
        case 20: .integer(bits: 64)
        case 25, 1043: .text
        default: .other
        }
    }
}
