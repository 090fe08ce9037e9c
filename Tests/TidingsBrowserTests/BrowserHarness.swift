import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import TidingsTestSupport

/// The test's own plain-HTTP server on 127.0.0.1: it serves the test page and
/// `clients/js/tidings.js`, passes commands to the page and receives its reports.
///
/// The page's origin differs from the gateway's (another port), so the page reaches the gateway
/// as a real application does: cross-origin, through CORS.
final class BrowserHarness: Sendable {
    let commands = PageCommands()
    /// Tokens for the page's `getToken`, handed out one per request.
    let tokens = PageCommands()
    /// A message for each `/config` request held by ``holdNextConfig()``: that page is loading
    /// and has no stream yet.
    let configHeld = PageCommands()
    private let configRelease = PageCommands()
    private let holdsConfig = Mutex(false)
    let reports = PageReports()
    private let setup = Mutex("{}")
    private let boundPort = Mutex(0)

    /// The port the server listens on (known once ``with(_:)`` runs its body).
    var port: Int { boundPort.withLock { $0 } }
    var origin: String { "http://127.0.0.1:\(port)" }
    var pageURL: String { origin + "/" }

    private init() {}

    /// What the page follows, served at `/config`; set it before the browser opens the page.
    struct Setup: Encodable {
        var gateway: String
        var token: String
        var topics: [String]
        var tables: [String] = ["items"]
        var events: [String] = []
        /// The page's store table.
        var table = "items"
        var lastEventId: Int64? = 0
        /// Where the client keeps its last id across reloads (nil: nowhere).
        var storageKey: String? = nil
        /// Whether the page's `getToken` asks the test (`GET /token`, answered by ``giveToken(_:)``).
        var tokensFromTest = false
        /// Whether the client loads the tables through `/rows` into the page's store itself.
        var loadTables = false
    }

    func configure(_ setup: Setup) throws {
        let json = String(decoding: try JSONEncoder().encode(setup), as: UTF8.self)
        self.setup.withLock { $0 = json }
    }

    /// Asks the page to publish `items` (`topics`, `event`, `data` with a `tag`) through its queue.
    func publish(_ items: [(topics: [String], event: String, tag: String)]) async throws {
        let list: [[String: Any]] = items.map { ["topics": $0.topics, "event": $0.event, "data": ["tag": $0.tag]] }
        let command = try JSONSerialization.data(withJSONObject: ["op": "publish", "items": list])
        await commands.send(String(decoding: command, as: UTF8.self))
    }

    /// Answers the page's next (or waiting) `getToken` with `token`.
    func giveToken(_ token: String) async {
        await tokens.send(token)
    }

    /// Makes the next `/config` request wait for ``releaseConfig()``, so that the test can write
    /// while a (re)loading page has no stream.
    func holdNextConfig() {
        holdsConfig.withLock { $0 = true }
    }

    func releaseConfig() async {
        holdsConfig.withLock { $0 = false }
        await configRelease.send("go")
    }

    /// Asks the page to reload itself.
    func reload() async {
        await commands.send(#"{"op":"reload"}"#)
    }

    /// `clients/js/tidings.js` as shipped.
    static func clientScript() throws -> String {
        try PackageRoot.text("clients/js/tidings.js")
    }

    /// Starts the server, runs `body`, then answers the page's last long poll and stops.
    static func with<Result: Sendable>(_ body: (BrowserHarness) async throws -> Result) async throws -> Result {
        let script = ByteBuffer(string: try clientScript())
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let harness = BrowserHarness()
        let router = Router()
        let page = ByteBuffer(string: HarnessPage.html)
        router.get("/") { _, _ in Self.response(page, "text/html; charset=utf-8") }
        router.get("tidings.js") { _, _ in Self.response(script, "text/javascript; charset=utf-8") }
        router.get("config") { _, _ in
            if harness.holdsConfig.withLock({ $0 }) {
                await harness.configHeld.send("held")
                _ = await harness.configRelease.next()
            }
            return Self.response(ByteBuffer(string: harness.setup.withLock { $0 }), "application/json")
        }
        router.get("next-command") { _, _ -> Response in
            guard let command = await harness.commands.next() else { return Response(status: .noContent) }
            return Self.response(ByteBuffer(string: command), "application/json")
        }
        router.get("token") { _, _ -> Response in
            guard let token = await harness.tokens.next() else { return Response(status: .noContent) }
            return Self.response(ByteBuffer(string: token), "text/plain")
        }
        router.post("report") { request, context -> HTTPResponse.Status in
            let report = try await request.decode(as: PageReport.self, context: context)
            harness.reports.receive(report)
            return .noContent
        }
        var logger = Logger(label: "tidings-browser-harness")
        logger.logLevel = .warning
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "tidings-test-page"),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("the test page server never started listening") }
            harness.boundPort.withLock { $0 = port }
            let result: Result
            do {
                result = try await body(harness)
            } catch {
                await harness.close()
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await harness.close()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    /// Answers every waiting and later long poll with nothing, so that the server can stop.
    private func close() async {
        await commands.close()
        await tokens.close()
        await configRelease.close()
    }

    private static func response(_ body: ByteBuffer, _ type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: body))
    }
}
