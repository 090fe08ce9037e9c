import AsyncHTTPClient
import Foundation
import NIOCore
import TidingsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `tidings serve` in `capture.mode: logical` as a process of its own (plain HTTP), so that a
/// test can kill it with SIGKILL as a crash would.
package final class LogicalGatewayProcess: @unchecked Sendable {
    // `process` is touched only by the test's own task.
    private let process = Process()
    private var exited: AsyncStream<Int32>?
    package let port: Int
    package let configFile: String
    /// The gateway's own log (info and above), for a failing test to print.
    package let logFile: String

    package var baseURL: String { "http://127.0.0.1:\(port)" }

    package init(database: PostgresURL, slot: String) throws {
        port = try TidingsBinary.freePort()
        configFile = try TidingsBinary.writeTemporary(
            """
            listen: "127.0.0.1:\(port)"
            tls: off
            postgres:
              url: "postgres://\(database.user)@\(database.host):\(database.port)/\(database.database)?sslmode=disable"
            capture:
              mode: logical
              slot: \(slot)
            auth:
              jwt:
                secret: "\(TestConfig.secret)"
              public: ["items/**"]
            topics:
              - table: public.items
                topics: ["items/{id}", "groups/{group_id}/items"]
            """
        )
        process.executableURL = URL(fileURLWithPath: try TidingsBinary.path)
        process.arguments = ["serve", "--config", configFile, "--log-level", "info"]
        logFile = configFile + ".log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = FileHandle(forWritingAtPath: logFile)
        process.standardOutput = log
        process.standardError = log
    }

    /// The last `lines` lines of the gateway's log.
    package func logTail(_ lines: Int = 40) -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "(no log at \(logFile))"
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    package func start() throws { exited = try process.runReportingExit() }

    /// SIGKILL: no shutdown, no goodbye to PostgreSQL; waits for the exit.
    package func kill() async {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        if let exited { for await _ in exited {} }
    }

    /// SIGTERM and wait, on every path out of a test.
    package func stop() async {
        if process.isRunning { process.terminate() }
        if let exited { for await _ in exited {} }
    }

    /// Polls `/readyz` until it answers 200, for at most 20 seconds.
    package func waitUntilReady(_ client: HTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let answer = try? await client.call(baseURL + "/readyz", timeout: .seconds(2)), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the gateway on port \(port) did not become ready")
    }
}
