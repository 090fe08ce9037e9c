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
final class LogicalGatewayProcess: @unchecked Sendable {
    // `process` is touched only by the test's own task.
    private let process = Process()
    private var exited: AsyncStream<Int32>?
    let port: Int
    let configFile: String

    var baseURL: String { "http://127.0.0.1:\(port)" }

    init(database: PostgresURL, slot: String) throws {
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
        process.arguments = ["serve", "--config", configFile, "--log-level", "warning"]
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
    }

    func start() throws { exited = try process.runReportingExit() }

    /// SIGKILL: no shutdown, no goodbye to PostgreSQL; waits for the exit.
    func kill() async {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        if let exited { for await _ in exited {} }
    }

    /// SIGTERM and wait, on every path out of a test.
    func stop() async {
        if process.isRunning { process.terminate() }
        if let exited { for await _ in exited {} }
    }

    /// Polls `/readyz` until it answers 200, for at most 20 seconds.
    func waitUntilReady(_ client: HTTPClient) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let answer = try? await client.call(baseURL + "/readyz", timeout: .seconds(2)), answer.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the gateway on port \(port) did not become ready")
    }
}
