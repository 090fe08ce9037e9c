import Foundation
package import PostgresNIO
package import TidingsCore

/// The statement that reads one `/rows` page: the rows the predicate keeps, as the table's
/// `columns` in JSON (the same object an event's `new` carries), in primary-key order after the
/// previous page's key. Pure text and parameters, so it can be inspected without a database.
package struct RowsQuery: Sendable {
    package let sql: String
    package let parameters: RowsParameters
    /// How many rows the page shows; the statement asks for one more to learn whether a next
    /// page exists.
    package let limit: Int

    /// - Throws: ``RowsError`` with ``RowsError/Code/badAfter`` when `after` does not have the
    ///   key's shape.
    package init(capture: TableCapture, table: RowsTable, grant: Grant, after: String?, limit: Int) throws(RowsError) {
        let key = table.primaryKey
        guard !key.isEmpty else {
            throw RowsError(.noPrimaryKey, "table \(capture.table) has no primary key, which /rows pages by; add one")
        }
        var parameters = RowsParameters()
        let types = Dictionary(table.columns.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        var conditions = [
            RowsPredicate.condition(
                templates: capture.topics,
                granted: grant.granted,
                requested: grant.requested,
                requestIsCovered: grant.requestIsCovered,
                columns: types,
                parameters: &parameters
            )
        ]
        let keyColumns = key.map { "tidings_row." + SQLText.identifier($0) }.joined(separator: ", ")
        if let after {
            let values = try Self.keyValues(after, count: key.count)
            let sqlTypes = Dictionary(table.columns.map { ($0.name, $0.sqlType) }, uniquingKeysWith: { first, _ in first })
            let bounds = zip(key, values).map { name, value in
                "CAST(\(parameters.add(value)) AS \(sqlTypes[name] ?? "text"))"
            }
            conditions.append("(\(keyColumns)) > (\(bounds.joined(separator: ", ")))")
        }
        // Output columns get names of their own: ORDER BY resolves a bare name to an output column
        // first, and "id"::text would sort the keys as text.
        let keyText = key.enumerated().map { "\(SQLText.identifier($1))::text AS tidings_key_\($0)" }.joined(separator: ", ")
        self.sql = """
            SELECT \(Self.rowJSON(capture.columns))::text AS tidings_json, \(keyText)
            FROM \(SQLText.qualified(capture.table)) AS tidings_row
            WHERE \(conditions.map { "(\($0))" }.joined(separator: " AND "))
            ORDER BY \(keyColumns)
            LIMIT \(limit + 1)
            """
        self.parameters = parameters
        self.limit = limit
    }

    package var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: parameters.bindings) }

    /// The page's `next`: a single-column key's text, or a JSON array of a composite key's texts.
    package static func keyText(_ values: [String]) -> String {
        guard values.count != 1 else { return values[0] }
        let data = (try? JSONEncoder().encode(values)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func keyValues(_ after: String, count: Int) throws(RowsError) -> [String] {
        if count == 1 { return [after] }
        let shape = RowsError(.badAfter, "after must be the `next` of the previous page: a JSON array of \(count) key values")
        guard let values = try? JSONDecoder().decode([String].self, from: Data(after.utf8)) else { throw shape }
        guard values.count == count else { throw shape }
        return values
    }

    /// The row as JSON, built as the capture trigger builds an event's `new`.
    private static func rowJSON(_ columns: [String]?) -> String {
        guard let columns else { return "to_jsonb(tidings_row.*)" }
        guard !columns.isEmpty else { return "'{}'::jsonb" }
        // jsonb_build_object takes at most 100 arguments: 50 columns per call.
        return stride(from: 0, to: columns.count, by: 50).map { start in
            let pairs = columns[start..<min(start + 50, columns.count)].map {
                "\(SQLText.literal($0)), tidings_row.\(SQLText.identifier($0))"
            }
            return "jsonb_build_object(\(pairs.joined(separator: ", ")))"
        }.joined(separator: " || ")
    }
}
