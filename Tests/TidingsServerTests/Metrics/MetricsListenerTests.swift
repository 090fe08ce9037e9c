import AsyncHTTPClient
import Foundation
import NIOCore
import ServiceLifecycle
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// `metrics.listen`: `/metrics` on a plain-HTTP listener of its own, gone from the public port.
@Suite("metrics.listen", .timeLimit(.minutes(1)))
struct MetricsListenerTests {
    @Test("with metrics.listen, /metrics answers there and 404 on the public port")
    func separateListener() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("metrics_listen") { _, config in
            var config = config
            config.metrics = MetricsSettings(listen: ListenAddress(host: "127.0.0.1", port: 0))
            let (ports, portContinuation) = AsyncStream.makeStream(of: (String, Int).self)
            let gateway = try await Gateway(
                config: config,
                logger: LiveGateway.logger,
                onServerRunning: { portContinuation.yield(("public", $0.localAddress?.port ?? 0)) },
                onMetricsServerRunning: { portContinuation.yield(("metrics", $0.localAddress?.port ?? 0)) }
            )
            let group = ServiceGroup(services: [gateway.service], gracefulShutdownSignals: [], logger: LiveGateway.logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var bound: [String: Int] = [:]
                var iterator = ports.makeAsyncIterator()
                while bound.count < 2, let (name, port) = await iterator.next() { bound[name] = port }
                let publicPort = try #require(bound["public"])
                let metricsPort = try #require(bound["metrics"])
                #expect(publicPort != metricsPort)

                let onPublic = try await client.call("http://127.0.0.1:\(publicPort)/metrics")
                #expect(onPublic.status == 404)
                let onMetrics = try await client.call("http://127.0.0.1:\(metricsPort)/metrics")
                #expect(onMetrics.status == 200)
                #expect(onMetrics.body.contains("tidings_subscribers"))
                let health = try await client.call("http://127.0.0.1:\(publicPort)/healthz")
                #expect(health.status == 200)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
