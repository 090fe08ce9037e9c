import Foundation
import Logging
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres

@Suite struct EphemeralClusterTests {
    @Test("a cluster keeps its data and port across restart and stop/start, and stop removes it", .timeLimit(.minutes(1)))
    func lifecycle() async throws {
        let cluster = try await EphemeralCluster.start(options: .init(durable: false), logger: TestSupport.logger)
        do {
            let url = try await cluster.createDatabase("lifecycle")
            try await TestSupport.withConnection(url) {
                try await TestSupport.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)", on: $0)
            }
            try await cluster.restart()
            try await cluster.stopServer()
            await #expect(throws: (any Error).self) { try await TestSupport.withConnection(url) { _ in } }
            try await cluster.startServer()
            var preferred = url
            preferred.sslMode = .prefer  // the cluster has no TLS: prefer falls back to plain text
            let value = try await TestSupport.withConnection(preferred) { try await TestSupport.text("SELECT v::text FROM kept", on: $0) }
            #expect(value == "42")
            #expect(url.port == cluster.port)
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
        #expect(!FileManager.default.fileExists(atPath: cluster.baseDirectory))
    }
}
