import Logging
package import PostgresNIO

extension PostgresConnection {
    /// Runs `query` and reads its result to the end.
    ///
    /// postgres-nio returns from `query` once the result starts; an error raised while rows are
    /// produced (a function that raises inside a `SELECT`) only surfaces when they are read. A
    /// statement whose rows nobody reads could therefore fail unnoticed, and the transaction's
    /// `COMMIT` would silently roll back.
    package func perform(_ query: PostgresQuery, logger: Logger) async throws {
        let rows = try await self.query(query, logger: logger)
        for try await _ in rows {}
    }
}
