import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@testable import TidingsServer

@Suite("GET /metrics", .timeLimit(.minutes(3)))
struct MetricsTests {
    @Test("Prometheus text with the documented names, and the counters move as events flow and the listener reconnects")
    func countersMove() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("metrics") { database, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                let before = try await client.call("\(live.baseURL)/metrics")
                #expect(before.status == 200)
                #expect(before.headers["content-type"].first?.hasPrefix("text/plain; version=0.0.4") == true)

                var (_, stream) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                #expect(try await stream.next() == .retry(2000))
                for id in 1...3 { try await database.insert(id) }
                for _ in 1...3 { _ = try #require(try await stream.nextEvent()) }
                _ = try await client.call("\(live.baseURL)/changes?topic=items/**")
                _ = try await client.call("\(live.baseURL)/changes?topic=items/**&limit=0")

                let after = try Self.samples(try await client.call("\(live.baseURL)/metrics").body)
                #expect(after["tidings_subscribers"] == 1)
                #expect(after["tidings_events_read_total", default: 0] >= 3)
                #expect(after["tidings_events_delivered_total", default: 0] >= 3)
                #expect(after["tidings_streams_opened_total", default: 0] >= 1)
                #expect(after[#"tidings_changes_requests_total{status="200"}"#] == 1)
                #expect(after[#"tidings_changes_requests_total{status="400"}"#] == 1)
                #expect(after["tidings_subscribers_cut_off_total"] == 0)
                // A fraction of the cluster-wide queue, which other sessions' listeners share.
                let queueUsage = try #require(after["tidings_notification_queue_usage"])
                #expect(queueUsage >= 0 && queueUsage < 0.5)
                let lag = try #require(after["tidings_delivery_lag_seconds"])
                #expect(lag >= 0 && lag < 60)

                try await database.execute(
                    """
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = current_database() AND pid <> pg_backend_pid()
                    """
                )
                try await live.gateway.feed.status.testOnlyWait { $0.reconnects >= 1 }
                let reconnects =
                    try Self.samples(try await client.call("\(live.baseURL)/metrics").body)["tidings_listener_reconnects_total"] ?? 0
                #expect(reconnects >= 1)
            }
        }
    }

    /// `name{labels} value` lines by series.
    static func samples(_ text: String) throws -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]) else { throw TestFailure("bad sample line: \(line)") }
            samples[String(parts[0])] = value
        }
        return samples
    }
}
