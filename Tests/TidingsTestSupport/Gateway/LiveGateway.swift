import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import TidingsCore
import TidingsPostgres

@testable import TidingsServer

/// A gateway running on an ephemeral loopback port for the length of a test body.
package struct LiveGateway: Sendable {
    package let gateway: Gateway
    package let port: Int
    package let usesTLS: Bool

    package var baseURL: String { "\(usesTLS ? "https" : "http")://127.0.0.1:\(port)" }

    package static let logger: Logger = {
        var logger = Logger(label: "tidings-test")
        logger.logLevel = .warning
        return logger
    }()

    /// Starts the gateway for `config` (logging to `logger`), runs `body`, then shuts it down
    /// gracefully and waits.
    package static func with<Result: Sendable>(
        _ config: TidingsConfig,
        logger: Logger = LiveGateway.logger,
        _ body: (LiveGateway) async throws -> Result
    ) async throws -> Result {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let gateway = try await Gateway(config: config, logger: logger) { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
        }
        let group = ServiceGroup(services: [gateway.service], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw TestFailure("the gateway never started listening") }
            let live = LiveGateway(gateway: gateway, port: port, usesTLS: config.tls != nil)
            let result: Result
            do {
                result = try await body(live)
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    /// Waits until the change feed is connected and caught up, then checks that `/readyz` says
    /// so (200).
    package func waitUntilReady(client: HTTPClient) async throws {
        try await gateway.feed.status.testOnlyWait { $0.isReady }
        let response = try await client.execute(HTTPClientRequest(url: baseURL + "/readyz"), timeout: .seconds(30))
        guard response.status == .ok else { throw TestFailure("/readyz answered \(response.status) once the feed was ready") }
    }
}

/// A test's own failure with a message.
package struct TestFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
