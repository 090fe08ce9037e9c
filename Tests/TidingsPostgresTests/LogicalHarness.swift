import Logging
import PostgresNIO
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

/// A database migrated for `capture.mode: logical` (its own slot, named after it) and a
/// capturer to run against it.
struct LogicalHarness {
    let url: PostgresURL
    let config: TidingsConfig

    /// Creates the database, runs `setup`, migrates in logical mode.
    static func make(_ prefix: String, setup: String, tables: [TableCapture]) async throws -> LogicalHarness {
        let url = try await TestPostgres.freshDatabase(prefix, logicalCapture: true)
        try await TestSupport.withConnection(url) { try await TestSupport.execute(setup, on: $0) }
        var config = TestSupport.config(tables, url: url)
        config.capture = CaptureSettings(mode: .logical, slot: url.database, publication: "tidings")
        _ = try await Migrator(url: url, logger: TestSupport.logger).migrate(config: config)
        return LogicalHarness(url: url, config: config)
    }

    var settings: LogicalCaptureSettings {
        LogicalCaptureSettings(
            url: url,
            slot: config.capture.slot,
            publication: config.capture.publication,
            builders: LogicalCaptureSettings.builders(for: config.tables),
            batchSize: 500,
            electionInterval: .milliseconds(100)
        )
    }

    /// Runs a capturer while `body` runs; `captured` takes each batch it committed.
    func withCapturer<Result: Sendable>(
        status: CaptureStatus = CaptureStatus(),
        captured: @escaping @Sendable (CapturedEvents) -> Void = { _ in },
        _ body: @Sendable (CaptureStatus) async throws -> Result
    ) async throws -> Result {
        let service = LogicalCaptureService(settings: settings, status: status, logger: TestSupport.logger, captured: captured)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            defer { group.cancelAll() }
            return try await body(status)
        }
    }

    /// Waits until the log holds `count` events (the capturer writes asynchronously).
    func waitForEvents(_ count: Int, timeout: Duration = .seconds(120)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let logged = try await TestSupport.withConnection(url) { connection in
                try await TestSupport.text("SELECT count(*)::text FROM tidings.changes", on: connection)
            }
            if let logged, Int(logged) ?? 0 >= count { return }
            guard ContinuousClock.now < deadline else {
                throw LogicalHarnessTimeout(expected: count, found: Int(logged ?? "0") ?? 0)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

struct LogicalHarnessTimeout: Error, CustomStringConvertible {
    var expected: Int
    var found: Int
    var description: String { "the log holds \(found) events, expected \(expected)" }
}
