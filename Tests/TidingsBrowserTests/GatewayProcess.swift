import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TidingsCore
import TidingsServer
import TidingsTestSupport

/// `tidings serve` as a process of its own on a fixed port, over TLS, so that a test can stop
/// the gateway (SIGTERM, a clean drain) and start it again on the same port while a browser
/// keeps reconnecting to it.
final class GatewayProcess: @unchecked Sendable {
    // `running` is read and written only by the test's own task; the termination handler
    // reports through the stream, never through this object.
    private var running: (process: Process, exited: AsyncStream<Int32>)?
    let port: Int
    let configFile: String
    let logFile: String
    let certificate: TestCertificate

    var baseURL: String { "https://127.0.0.1:\(port)" }

    /// A config for the `items` test table in `database`, admitting `origin` through CORS.
    init(database: PostgresURL, corsOrigin: String) throws {
        port = try TidingsBinary.freePort()
        certificate = try TestCertificate()
        let yaml = """
            listen: "127.0.0.1:\(port)"
            tls:
              certificate: "\(certificate.files.certificate)"
              key: "\(certificate.files.key)"
            postgres:
              url: "postgres://\(database.user)@\(database.host):\(database.port)/\(database.database)?sslmode=disable"
            auth:
              jwt:
                secret: "\(TestConfig.secret)"
            cors:
              origins: ["\(corsOrigin)"]
            topics:
              - table: public.items
                topics: ["items/{id}", "groups/{group_id}/items"]
            stream:
              retry: 300ms
            """
        configFile = try TidingsBinary.writeTemporary(yaml)
        logFile = configFile + ".log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
    }

    /// Starts the gateway, runs `body`, and stops the gateway on every path; removes its config
    /// and log after a success (a failure keeps them, and its message names the log).
    func run<Result: Sendable>(_ body: (GatewayProcess) async throws -> Result) async throws -> Result {
        try start()
        do {
            let result = try await body(self)
            _ = await stop()
            for file in [configFile, certificate.files.certificate] {
                try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path)
            }
            return result
        } catch {
            _ = await stop()
            throw error
        }
    }

    /// Starts `tidings serve`; its log goes to ``logFile``.
    func start() throws {
        guard running == nil else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TidingsBinary.path)
        process.arguments = ["serve", "--config", configFile, "--log-level", "warning"]
        let log = FileHandle(forWritingAtPath: logFile)
        log?.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        running = (process, try process.runReportingExit())
    }

    /// SIGTERM, and waits for the exit; returns the exit status (nil if it was not running).
    @discardableResult
    func stop() async -> Int32? {
        guard let (process, exited) = running else { return nil }
        running = nil
        if process.isRunning { process.terminate() }
        var status: Int32?
        for await code in exited { status = code }
        return status
    }

    /// Polls `/readyz` until it answers 200, for at most 20 seconds.
    func waitUntilReady() async throws {
        let client = try HTTPClient.make(trusting: certificate.certificate.certificatePEM)
        defer { client.shutdown { _ in } }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let response = try? await client.execute(HTTPClientRequest(url: baseURL + "/readyz"), timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 16)
                if response.status == .ok { return }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("the gateway on port \(port) did not become ready; its log: \(logFile)")
    }
}
