import PostgresNIO
import TidingsTestSupport

extension TestDatabase {
    /// The largest id in the change log, 0 when it is empty.
    func lastChangeID() async throws -> Int64 {
        let rows = try await connection.query("SELECT coalesce(max(id), 0)::int8 FROM tidings.changes", logger: LiveGateway.logger)
        for try await id in rows.decode(Int64.self) { return id }
        return 0
    }

    /// Each row of `sql`'s single text column.
    func texts(_ sql: String) async throws -> [String] {
        var texts: [String] = []
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: LiveGateway.logger)
        for try await text in rows.decode(String.self) { texts.append(text) }
        return texts
    }
}
