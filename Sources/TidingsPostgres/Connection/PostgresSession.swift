package import Logging
package import PostgresNIO
package import TidingsCore

/// One short-lived connection for one job (migrate, check, create a database), closed afterwards
/// whatever happens.
package enum PostgresSession {
    /// Connects to `url`, runs `body`, closes.
    /// - Throws: ``MigrationError`` with code ``MigrationError/Code/connectionFailed`` when the
    ///   connection cannot be made; otherwise whatever `body` throws.
    @discardableResult
    package static func withConnection<Result: Sendable>(
        url: PostgresURL,
        logger: Logger,
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: try url.connectionConfiguration(),
                id: 1,
                logger: logger
            )
        } catch {
            throw MigrationError(.connectionFailed, "cannot connect to \(url): \(PostgresErrorText.describe(error))")
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
