import Logging
import NIOCore
import PostgresNIO
import TidingsCore
import TidingsPostgres

/// A fresh database with the `items` table created and the change log migrated for a config,
/// plus a connection for the test's own SQL.
package struct TestDatabase: Sendable {
    package let url: PostgresURL
    package let connection: PostgresConnection

    /// Creates the database (on `cluster`, or the shared test cluster: the one for logical capture
    /// with `logicalCapture`), migrates it for ``TestConfig/make(database:tls:public:stream:)``
    /// with these settings, runs `body`, and closes the connection on every path.
    package static func with<Result: Sendable>(
        _ prefix: String,
        on cluster: EphemeralCluster? = nil,
        logicalCapture: Bool = false,
        tls: TLSFiles? = nil,
        stream: StreamSettings = StreamSettings(),
        _ body: (TestDatabase, TidingsConfig) async throws -> Result
    ) async throws -> Result {
        let url: PostgresURL
        if let cluster {
            url = try await cluster.createDatabase("\(prefix)_\(UInt32.random(in: 0...UInt32.max))")
        } else {
            url = try await TestPostgres.freshDatabase(prefix, logicalCapture: logicalCapture)
        }
        let config = try TestConfig.make(database: url, tls: tls, stream: stream)
        return try await connect(url) { database in
            try await database.execute(TestConfig.createTable)
            _ = try await Migrator(url: url, logger: LiveGateway.logger).migrate(config: config)
            return try await body(database, config)
        }
    }

    /// A connection to an existing test database for the length of `body`.
    package static func connect<Result: Sendable>(_ url: PostgresURL, _ body: (TestDatabase) async throws -> Result) async throws -> Result
    {
        let connection = try await PostgresConnection.connect(
            configuration: try url.connectionConfiguration(),
            id: Int.random(in: 1...Int.max),
            logger: LiveGateway.logger
        )
        let database = TestDatabase(url: url, connection: connection)
        do {
            let result = try await body(database)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Inserts item `id` in its own transaction (or the open one).
    package func insert(_ id: Int, group: Int = 1, note: String = "n") async throws {
        try await connection.query(
            "INSERT INTO public.items (id, group_id, note) VALUES (\(id), \(group), \(note))",
            logger: LiveGateway.logger
        )
    }

    /// Runs `sql` (trusted test text).
    package func execute(_ sql: String) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: LiveGateway.logger)
    }
}
