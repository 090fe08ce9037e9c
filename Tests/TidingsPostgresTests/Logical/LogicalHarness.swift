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

    /// Waits until the log holds `count` events (the capturer writes asynchronously): counts once
    /// LISTEN on the wake-up channel is in place, then again on each wake-up the capturer's
    /// commits send, so no commit goes unseen and nothing polls.
    func waitForEvents(_ count: Int, timeout: Duration = .seconds(120)) async throws {
        try await TestSupport.withConnection(url) { listener in
            try await TestSupport.withConnection(url) { counter in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // listen(on:consume:) calls consume once LISTEN is acknowledged.
                        try await listener.listen(on: ChangeLog.wakeUpChannel) { wakeUps in
                            if try await Self.logged(on: counter) >= count { return }
                            for try await _ in wakeUps {
                                if try await Self.logged(on: counter) >= count { return }
                            }
                            throw TestFailure("the wake-ups ended before the log held \(count) events")
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        throw LogicalHarnessTimeout(expected: count, found: try await Self.logged(on: counter))
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        }
    }

    private static func logged(on connection: PostgresConnection) async throws -> Int {
        Int(try await TestSupport.text("SELECT count(*)::text FROM tidings.changes", on: connection) ?? "0") ?? 0
    }
}

struct LogicalHarnessTimeout: Error, CustomStringConvertible {
    var expected: Int
    var found: Int
    var description: String { "the log holds \(found) events, expected \(expected)" }
}
