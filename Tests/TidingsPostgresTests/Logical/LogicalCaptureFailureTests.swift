import Logging
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@Suite struct LogicalCaptureFailureTests {
    @Test("migrate against wal_level=replica fails with the exact fix and changes nothing", .timeLimit(.minutes(3)))
    func walLevelReplica() async throws {
        let cluster = try await EphemeralCluster.start(options: .init(durable: false), logger: TestSupport.logger)
        do {
            let url = try await cluster.createDatabase("logical_replica")
            var config = TestSupport.config([try TestSupport.capture("items", ["items/{id}"])], url: url)
            config.capture = CaptureSettings(mode: .logical, slot: "replica_slot")
            try await TestSupport.withConnection(url) { try await TestSupport.execute("CREATE TABLE items (id int PRIMARY KEY)", on: $0) }
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(url: url, logger: TestSupport.logger).migrate(config: config)
            }
            #expect(error?.code == .captureFailed)
            #expect(error?.description.contains("wal_level=logical, and the server has wal_level=replica") == true)
            #expect(error?.description.contains("ALTER SYSTEM SET wal_level = logical") == true)
            let schema = try await TestSupport.withConnection(url) {
                try await TestSupport.text("SELECT (to_regclass('tidings.changes') IS NULL)::text", on: $0)
            }
            #expect(schema == "true")
        } catch {
            try await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }

    @Test("a deleted slot is a clear, retried error, and capture resumes once migrate creates it again", .timeLimit(.minutes(3)))
    func deletedSlot() async throws {
        let harness = try await LogicalHarness.make(
            "logical_no_slot",
            setup: "CREATE TABLE items (id int PRIMARY KEY, owner text)",
            tables: [try TestSupport.capture("items", ["items/{id}"])]
        )
        try await TestSupport.withConnection(harness.url) {
            try await TestSupport.execute("SELECT pg_drop_replication_slot('\(harness.config.capture.slot)')", on: $0)
        }
        let log = RecordedLog()
        let service = LogicalCaptureService(settings: harness.settings, logger: log.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            defer { group.cancelAll() }
            let line = try await log.waitFor("logical capture stopped")
            #expect(line.contains("replication slot \"\(harness.config.capture.slot)\" does not exist"))
            #expect(line.contains("retry_in="))
            _ = try await Migrator(url: harness.url, logger: TestSupport.logger).migrate(config: harness.config)
            try await TestSupport.withConnection(harness.url) {
                try await TestSupport.execute("INSERT INTO items VALUES (1, 'after')", on: $0)
            }
            try await harness.waitForEvents(1, timeout: .seconds(40))
        }
    }
}
