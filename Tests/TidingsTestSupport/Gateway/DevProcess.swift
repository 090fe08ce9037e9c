import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// `tidings dev` run as a user runs it: for the command's own tests and the browser tests of its
/// demo page.
package enum DevProcess {
    /// `tidings dev` on a free port, for the length of `body`; ended with SIGINT, as Ctrl-C does,
    /// and expected to exit 0.
    package static func with(_ body: (_ baseURL: String, _ client: HTTPClient) async throws -> Void) async throws {
        let port = try TidingsBinary.freePort()
        let dev = Process()
        dev.executableURL = URL(fileURLWithPath: try TidingsBinary.path)
        dev.arguments = ["dev", "--port", "\(port)", "--log-level", "warning"]
        dev.standardOutput = FileHandle.nullDevice
        dev.standardError = FileHandle.nullDevice
        let exited = try dev.runReportingExit()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none  // dev makes its certificate in a directory of its own
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        defer { client.shutdown { _ in } }
        let baseURL = "https://127.0.0.1:\(port)"
        do {
            let deadline = ContinuousClock.now + .seconds(30)
            var ready = false
            while !ready, ContinuousClock.now < deadline, dev.isRunning {
                let response = try? await client.execute(HTTPClientRequest(url: baseURL + "/readyz"), timeout: .seconds(2))
                ready = response?.status == .ok
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(ready, "tidings dev did not become ready")
            try await body(baseURL, client)
        } catch {
            dev.interrupt()
            for await _ in exited {}
            throw error
        }
        dev.interrupt()  // SIGINT
        var status: Int32?
        for await code in exited { status = code }
        #expect(status == 0)
    }

    package static func send(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, _ body: String? = nil) async throws -> (Int, String)
    {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), try await bodyText(response))
    }
}
