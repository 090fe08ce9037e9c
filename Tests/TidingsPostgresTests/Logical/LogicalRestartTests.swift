import Logging
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@Suite struct LogicalRestartTests {
    /// Inserts row `id` until it is known to be committed: after a lost connection the row may or
    /// may not have committed, so it is looked up before it is written again. A connection the
    /// server ended (the restart) is dropped before it is used: postgres-nio can leave a query sent
    /// on a closed connection waiting for ever (vapor/postgres-nio#487, reverted in #501), which is
    /// what made this test hang, not the capturer.
    private func insert(_ id: Int, url: PostgresURL, connection: inout PostgresConnection?) async throws {
        while true {
            do {
                if let open = connection, open.isClosed { connection = nil }
                if connection == nil {
                    connection = try await PostgresConnection.connect(
                        configuration: try url.connectionConfiguration(),
                        id: id,
                        logger: TestSupport.logger
                    )
                }
                guard let open = connection else { continue }
                let found = try await TestSupport.text("SELECT count(*)::text FROM items WHERE id = \(id)", on: open)
                if found == "1" { return }
                try await TestSupport.execute("INSERT INTO items VALUES (\(id), 'row')", on: open)
                return
            } catch {
                try? await connection?.close()
                connection = nil
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    @Test("a PostgreSQL restart under load: every committed row is logged once, in commit order", .timeLimit(.minutes(3)))
    func restartUnderLoad() async throws {
        let cluster = try await EphemeralCluster.start(options: .init(durable: false, logicalReplication: true), logger: TestSupport.logger)
        do {
            let url = try await cluster.createDatabase("logical_restart")
            try await TestSupport.withConnection(url) {
                try await TestSupport.execute("CREATE TABLE items (id int PRIMARY KEY, owner text)", on: $0)
            }
            var config = TestSupport.config([try TestSupport.capture("items", ["items/{id}"])], url: url)
            config.capture = CaptureSettings(mode: .logical, slot: "restart_slot")
            _ = try await Migrator(url: url, logger: TestSupport.logger).migrate(config: config)
            let harness = LogicalHarness(url: url, config: config)
            let total = 600
            try await harness.withCapturer { _ in
                var connection: PostgresConnection?
                for id in 1...total {
                    try await insert(id, url: url, connection: &connection)
                    if id == total / 2 { try await cluster.restart() }
                }
                try? await connection?.close()
                try await harness.waitForEvents(total, timeout: .seconds(60))
            }
            let check = try await TestSupport.withConnection(url) { connection in
                try await TestSupport.text(
                    """
                    SELECT count(*)::text || ' ' || (array_agg((data->'new'->>'id')::int ORDER BY id)
                        = ARRAY(SELECT generate_series(1, \(total))))::text
                    FROM tidings.changes
                    """,
                    on: connection
                )
            }
            #expect(check == "\(total) true")
        } catch {
            try await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}
