import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TidingsCore
import TidingsServer

/// `tidings serve` as a process of its own on a fixed port, over TLS, so that a test can stop
/// the gateway (SIGTERM, a clean drain) and start it again on the same port while a browser
/// keeps reconnecting to it.
final class GatewayProcess: @unchecked Sendable {
    // `running` is read and written only by the test's own task; the termination handler
    // reports through the stream, never through this object.
    private var running: (process: Process, exited: AsyncStream<Int32>, output: ProcessOutput)?
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
        process.arguments = ["serve", "--config", configFile, "--log-level", "info"]
        process.standardInput = FileHandle.nullDevice
        let (output, exited) = try ProcessOutput.run(process, appendingTo: logFile)
        running = (process, exited, output)
    }

    /// SIGTERM, and waits for the exit; returns the exit status (nil if it was not running).
    @discardableResult
    func stop() async -> Int32? {
        guard let (process, exited, output) = running else { return nil }
        running = nil
        if process.isRunning { process.terminate() }
        var status: Int32?
        for await code in exited { status = code }
        for await _ in output.lines {}
        return status
    }

    /// Waits until the gateway started last says that its HTTP server listens and its change
    /// feed is live (which is what `/readyz` reports), then checks that `/readyz` answers 200.
    /// - Throws: when the gateway exits first, or `/readyz` disagrees; the message names the log.
    func waitUntilReady() async throws {
        guard let (_, _, output) = running else { throw TestFailure("the gateway is not running") }
        var listening = false
        var live = false
        for await line in output.lines {
            listening = listening || line.contains("Server started and listening")
            live = live || line.contains("change feed live")
            if listening && live { break }
        }
        guard listening && live else { throw TestFailure("the gateway on port \(port) exited before it was ready; its log: \(logFile)") }
        let client = try HTTPClient.make(trusting: certificate.certificate.certificatePEM)
        defer { client.shutdown { _ in } }
        let response = try await client.execute(HTTPClientRequest(url: baseURL + "/readyz"), timeout: .seconds(5))
        _ = try await response.body.collect(upTo: 1 << 16)
        guard response.status == .ok else {
            throw TestFailure("the gateway logged that it is live, but /readyz answered \(response.status.code); its log: \(logFile)")
        }
    }
}
