import Logging
import NIOCore
import PostgresNIO
import TidingsCore

/// Reads one `/rows` page and its cursor from a single `REPEATABLE READ` snapshot.
///
/// The transaction is read-only and has a statement timeout, so a request whose selectors no
/// index serves cannot hold a connection for long; the application's writes never wait on it.
package enum RowsSnapshot {
    /// How long one statement of a page may run.
    package static let statementTimeout = "5s"

    /// - Throws: ``RowsError`` for a table that is gone, has no primary key or an `after` that is
    ///   not one of its keys; any other error is the database's.
    package static func page(
        capture: TableCapture,
        grant: Grant,
        after: String?,
        limit: Int,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> RowsPage {
        try await connection.perform("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
        do {
            try await connection.perform("SET LOCAL statement_timeout = '\(unescaped: statementTimeout)'", logger: logger)
            guard let table = try await RowsTable.read(capture.table, on: connection, logger: logger) else {
                throw RowsError(.tableMissing, "table \(capture.table) is captured but does not exist in the database")
            }
            let query = try RowsQuery(capture: capture, table: table, grant: grant, after: after, limit: limit)
            let cursor = try await ChangeLog.snapshotCursor(on: connection, logger: logger)
            var rows: [ByteBuffer] = []
            var keys: [[String]] = []
            do {
                for try await row in try await connection.query(query.query, logger: logger) {
                    let cells = Array(row)
                    guard let json = cells.first else { continue }
                    rows.append(try json.decode(ByteBuffer.self))
                    keys.append(try cells.dropFirst().map { try $0.decode(String.self) })
                }
            } catch let error as PSQLError where error.serverInfo?[.sqlState]?.hasPrefix("22") == true && after != nil {
                throw RowsError(.badAfter, "after is not a key of table \(capture.table); pass the `next` of the previous page")
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42501" {
                throw RowsError(.notReadable, "the gateway's database role may not read table \(capture.table); grant it SELECT")
            }
            try await connection.perform("COMMIT", logger: logger)
            var next: String?
            if rows.count > limit {
                rows.removeLast()
                next = RowsQuery.keyText(keys[limit - 1])
            }
            return RowsPage(rows: rows, cursor: cursor, next: next)
        } catch {
            // The first error is the one to report; a ROLLBACK that fails means the connection is gone.
            try? await connection.perform("ROLLBACK", logger: logger)
            throw error
        }
    }
}
