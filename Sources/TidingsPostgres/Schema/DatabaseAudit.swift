package import Logging
import PostgresNIO
package import TidingsCore

/// What `check --database` reports beyond the schema: who can forge a channel's events, and
/// whether LISTEN works through the connection the URL gives (it does not through a
/// transaction-mode pooler).
package struct DatabaseAudit: Sendable {
    /// Roles that can log in and connect to the database: PostgreSQL has no privilege on
    /// NOTIFY, so each of them may send any channel's events.
    package var notifyingRoles: [String]
    /// `false` when a NOTIFY this connection sent to itself never arrived: LISTEN is broken on
    /// this path (a transaction-mode pooler, most likely).
    package var listenWorks: Bool

    /// Reads both over one connection to `url`.
    /// - Throws: ``MigrationError`` when the database cannot be reached.
    package static func read(url: PostgresURL, logger: Logger, listenTimeout: Duration = .seconds(3)) async throws -> DatabaseAudit {
        try await PostgresSession.withConnection(url: url, logger: logger) { connection in
            var roles: [String] = []
            let rows = try await connection.query(
                """
                SELECT rolname FROM pg_catalog.pg_roles
                WHERE rolcanlogin AND has_database_privilege(oid, current_database(), 'CONNECT')
                ORDER BY rolname
                """,
                logger: logger
            )
            for try await role in rows.decode(String.self) { roles.append(role) }
            let works = try await listenRoundTrip(connection, logger: logger, timeout: listenTimeout)
            return DatabaseAudit(notifyingRoles: roles, listenWorks: works)
        }
    }

    /// LISTENs on a fresh channel, NOTIFYs it on the same connection, and waits for the echo.
    private static func listenRoundTrip(_ connection: PostgresConnection, logger: Logger, timeout: Duration) async throws -> Bool {
        let channel = "tidings_check_\(UInt32.random(in: 0...UInt32.max))"
        return try await connection.listen(on: channel) { notifications in
            try await connection.query("SELECT pg_notify(\(channel), 'probe')", logger: logger).consume()
            return await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    do {
                        for try await _ in notifications { return true }
                    } catch {
                        return false
                    }
                    return false
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return false
                }
                let arrived = await group.next() ?? false
                group.cancelAll()
                return arrived
            }
        }
    }
}

extension PostgresRowSequence {
    /// Reads and drops every row.
    fileprivate func consume() async throws {
        for try await _ in self {}
    }
}
