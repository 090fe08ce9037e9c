import Logging
package import PostgresNIO
import ServiceLifecycle

/// Reports the problems capture met in the application's transactions (a column gone, a value
/// that did not render), which the triggers count in `tidings.capture_problems` instead of
/// failing the write.
///
/// Every `interval` (a minute by default) it reads the counts and, for each table whose counts
/// grew, logs one warning naming its problems and passes the growth to `onProblems` (the metrics'
/// `tidings_capture_problems_total{table}`): at most one log line per table per interval. A
/// failed read is retried at the next interval.
package struct CaptureProblemWatch: Service {
    let client: PostgresClient
    let logger: Logger
    let interval: Duration
    let onProblems: @Sendable (_ table: String, _ count: Int) -> Void

    package init(
        client: PostgresClient,
        logger: Logger,
        interval: Duration = .seconds(60),
        onProblems: @escaping @Sendable (_ table: String, _ count: Int) -> Void
    ) {
        self.client = client
        self.logger = logger
        self.interval = interval
        self.onProblems = onProblems
    }

    package func run() async throws {
        var seen: [String: Int64] = [:]
        var first = true
        while !Task.isShuttingDownGracefully {
            if !first {
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                } catch {
                    return
                }
            }
            first = false
            do {
                try await check(seen: &seen)
            } catch {
                logger.debug("reading tidings.capture_problems failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    /// Reads the counts once, logs and reports what grew since `seen`, and updates it.
    func check(seen: inout [String: Int64]) async throws {
        let rows = try await client.query(
            "SELECT table_name, problem, count FROM tidings.capture_problems ORDER BY table_name, problem",
            logger: logger
        )
        var grown: [String: (count: Int64, problems: [String])] = [:]
        var current: [String: Int64] = [:]
        for try await (table, problem, count) in rows.decode((String, String, Int64).self) {
            let key = table + "\u{0}" + problem
            current[key] = count
            let growth = count - (seen[key] ?? 0)
            guard growth > 0 else { continue }
            grown[table, default: (0, [])].count += growth
            grown[table, default: (0, [])].problems.append(problem)
        }
        seen = current
        for (table, growth) in grown.sorted(by: { $0.key < $1.key }) {
            logger.warning(
                "capture met problems in the application's writes; run `tidings check --database`, then `tidings migrate`",
                metadata: ["table": "\(table)", "count": "\(growth.count)", "problems": "\(growth.problems.joined(separator: "; "))"]
            )
            onProblems(table, Int(growth.count))
        }
    }
}
