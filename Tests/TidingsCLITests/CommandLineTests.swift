import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("The tidings command line", .timeLimit(.minutes(2)))
struct CommandLineTests {
    static func configYAML(database: PostgresURL, port: Int) -> String {
        """
        listen: "127.0.0.1:\(port)"
        tls: off
        postgres:
          url: "postgres://\(database.user)@\(database.host):\(database.port)/\(database.database)?sslmode=disable"
        auth:
          jwt:
            secret: "${TIDINGS_TEST_SECRET}"
          public: ["items/**"]
        topics:
          - table: public.items
            topics: ["items/{id}", "groups/{group_id}/items"]
        """
    }

    /// Starts `tidings serve` on `config` and waits until it is ready; the stream yields its exit status.
    static func startServe(config: String, port: Int) async throws -> (process: Process, exited: AsyncStream<Int32>) {
        let file = try TidingsBinary.writeTemporary(config)
        let serve = Process()
        serve.executableURL = URL(fileURLWithPath: try TidingsBinary.path)
        serve.arguments = ["serve", "--config", file, "--log-level", "warning"]
        serve.environment = ProcessInfo.processInfo.environment.merging(["TIDINGS_TEST_SECRET": "cli-secret-cli-secret-cli-secret-0123"]) {
            _,
            new in new
        }
        serve.standardError = FileHandle.nullDevice
        let exited = try serve.runReportingExit()
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        var ready = false
        for _ in 0..<400 where !ready {
            let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/readyz"), timeout: .seconds(2))
            ready = response?.status == .ok
            if !ready { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(ready)
        return (serve, exited)
    }

    @Test("serve streams, and SIGTERM ends every open stream and exits 0")
    func serveDrainsOnSIGTERM() async throws {
        try await TestDatabase.with("sigterm") { database, _ in
            let port = try TidingsBinary.freePort()
            let (serve, exited) = try await Self.startServe(config: Self.configYAML(database: database.url, port: port), port: port)

            let curl = try CurlProcess(arguments: ["-N", "-s", "http://127.0.0.1:\(port)/events?topic=items/**"])
            var lines = curl.lines.makeAsyncIterator()
            #expect(await lines.next() == "retry: 2000")
            #expect(await lines.next() == "")
            try await database.insert(9)
            #expect(await lines.next()?.hasPrefix("id: ") == true)

            serve.terminate()  // SIGTERM
            var status: Int32?
            for await code in exited { status = code }
            #expect(status == 0)
            // The stream was ended by the server: curl's output reaches its end.
            while await lines.next() != nil {}
            curl.terminate()
        }
    }

    @Test(
        "serve runs connections on the configured event-loop threads; auto keeps a core free",
        .serialized,
        arguments: [("threads: 1", 1), ("threads: 3", 3), ("", ServerThreads.count(configured: nil))]
    )
    func serveThreads(line: String, expected: Int) async throws {
        try await TestDatabase.with("threads") { database, _ in
            let port = try TidingsBinary.freePort()
            let config = Self.configYAML(database: database.url, port: port) + "\n" + line + "\n"
            let (serve, exited) = try await Self.startServe(config: config, port: port)
            // NIO names the threads of its shared group, the one the server runs on, NIO-SGLTN-….
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(serve.processIdentifier)/task")
            let names = tasks.compactMap {
                try? String(contentsOfFile: "/proc/\(serve.processIdentifier)/task/\($0)/comm", encoding: .utf8)
            }
            #expect(names.filter { $0.hasPrefix("NIO-SGLTN-") }.count == expected)
            serve.terminate()
            for await _ in exited {}
        }
    }

    @Test("check reports every config error with file and line, and exits 1")
    func checkReportsErrors() async throws {
        let file = try TidingsBinary.writeTemporary(
            """
            listen: "127.0.0.1:8443"
            tls: off
            postgress:
              url: "postgres://u@localhost/db"
            auth:
              jwt: {secret: "s"}
            topics:
              - table: public.items
                topics: ["items/{id}"]
                evnts: [insert]
            """
        )
        let result = try await TidingsBinary.run(["check", "--config", file])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(file):3:"))
        #expect(result.stderr.contains("\(file):10:"))
        #expect(result.stderr.contains("postgres"))
    }

    @Test("check prints the resolved topic map for a good config and exits 0")
    func checkPrintsTopicMap() async throws {
        let file = try TidingsBinary.writeTemporary(
            Self.configYAML(database: PostgresURL(host: "127.0.0.1", user: "u", database: "d"), port: 8443)
        )
        let result = try await TidingsBinary.runWithEnvironment(
            ["check", "--config", file],
            ["TIDINGS_TEST_SECRET": "x-secret-x-secret-x-secret-x-secret-01"]
        )
        #expect(result.status == 0)
        #expect(result.stdout.contains("items.insert"))
        #expect(result.stdout.contains("groups/{group_id}/items"))
    }

    @Test("serve exits 1 naming the certificate file when it is missing")
    func serveMissingCertificate() async throws {
        let yaml = Self.configYAML(database: PostgresURL(host: "127.0.0.1", user: "u", database: "d"), port: 8443)
            .replacingOccurrences(of: "tls: off", with: "tls: {certificate: /nonexistent/server.crt, key: /nonexistent/server.key}")
        let file = try TidingsBinary.writeTemporary(yaml)
        let result = try await TidingsBinary.runWithEnvironment(
            ["serve", "--config", file],
            ["TIDINGS_TEST_SECRET": "x-secret-x-secret-x-secret-x-secret-01"]
        )
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/server.crt"))
    }

    @Test("migrate exits 2 with a message when PostgreSQL cannot be reached")
    func migrateUnreachable() async throws {
        let port = try TidingsBinary.freePort()
        let file = try TidingsBinary.writeTemporary(
            Self.configYAML(database: PostgresURL(host: "127.0.0.1", port: port, user: "u", database: "d"), port: 8443)
        )
        let result = try await TidingsBinary.runWithEnvironment(
            ["migrate", "--config", file],
            ["TIDINGS_TEST_SECRET": "x-secret-x-secret-x-secret-x-secret-01"]
        )
        #expect(result.status == 2)
        #expect(!result.stderr.isEmpty)
    }
}

extension TidingsBinary {
    /// ``run(_:)`` with extra environment variables.
    static func runWithEnvironment(
        _ arguments: [String],
        _ extra: [String: String]
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        for (name, value) in extra { setenv(name, value, 1) }
        return try await run(arguments)
    }
}
