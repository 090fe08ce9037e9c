import AsyncHTTPClient
import Foundation
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("GET /metrics: histograms and the monitoring files", .timeLimit(.minutes(3)))
struct MetricsHistogramTests {
    /// Metrics that `deploy/` uses and that come with capture work of their own; each is
    /// documented in docs/operations.md with where it comes from.
    static let fromCaptureWork: Set<String> = [
        "tidings_capture_lag_bytes",  // logical capture: the replication slot's lag
        "tidings_notification_queue_usage",  // pg_notification_queue_usage(), sampled by the feed
        "tidings_capture_problems_total",  // capture drift: a captured column gone
    ]

    @Test("commit-to-write latency, events per feed read and /changes answer times are histograms that count what happened")
    func histogramsCount() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("metrics_histograms") { database, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                var (_, stream) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                #expect(try await stream.next() == .retry(2000))
                for id in 1...3 { try await database.insert(id) }
                for _ in 1...3 { _ = try #require(try await stream.nextEvent()) }
                _ = try await client.call("\(live.baseURL)/changes?topic=items/**")
                _ = try await client.call("\(live.baseURL)/changes?topic=items/**&after=3&wait=1s")

                // The latency is recorded on the stream's event loop; the client may read the
                // event a moment before: poll until the three samples are in.
                var text = ""
                var samples: [String: Double] = [:]
                for _ in 0..<200 {
                    text = try await client.call("\(live.baseURL)/metrics").body
                    samples = try MetricsTests.samples(text)
                    if samples["tidings_delivery_latency_seconds_count", default: 0] >= 3 { break }
                    try await Task.sleep(for: .milliseconds(25))
                }
                for name in ["tidings_delivery_latency_seconds", "tidings_feed_batch_events", "tidings_request_duration_seconds"] {
                    #expect(text.contains("# TYPE \(name) histogram"), "\(name) is not a histogram")
                }
                #expect(samples["tidings_delivery_latency_seconds_count", default: 0] >= 3)
                #expect(samples[#"tidings_delivery_latency_seconds_bucket{le="+Inf"}"#, default: 0] >= 3)
                let latency = samples["tidings_delivery_latency_seconds_sum", default: -1]
                #expect(latency >= 0 && latency < 60)
                #expect(samples["tidings_feed_batch_events_sum", default: 0] >= 3)
                #expect(samples["tidings_feed_batch_events_count", default: 0] >= 1)
                #expect(samples[#"tidings_request_duration_seconds_count{endpoint="changes"}"#] == 1)
                #expect(samples[#"tidings_request_duration_seconds_count{endpoint="changes_wait"}"#] == 1)
                #expect(samples[#"tidings_request_duration_seconds_count{endpoint="rows"}"#] == 0)
                #expect(samples[#"tidings_feed_ready"#] == 1)
                #expect(Self.bucketsAreCumulative(samples, name: "tidings_delivery_latency_seconds"))
            }
        }
    }

    @Test(
        "every metric the alert rules and the Grafana dashboard use is exported by /metrics, or comes with capture work and is documented"
    )
    func monitoringFilesUseExportedMetrics() async throws {
        let root = PackageRoot.url
        let referenced = try ["deploy/prometheus/alerts.yml", "deploy/grafana/tidings.json"].reduce(into: Set<String>()) { names, file in
            names.formUnion(Self.metricNames(in: try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)))
        }
        let operations = try String(contentsOf: root.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        #expect(referenced.count > 10, "found only \(referenced.sorted())")
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("metrics_names") { _, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                _ = try await client.call("\(live.baseURL)/changes?topic=items/**")
                let exported = Set(
                    try MetricsTests.samples(try await client.call("\(live.baseURL)/metrics").body).keys.map { key in
                        String(key.prefix { $0 != "{" })
                    }
                )
                for name in referenced.sorted() {
                    let base = Self.histogramBase(name)
                    #expect(
                        exported.contains(name) || Self.fromCaptureWork.contains(base),
                        "deploy/ uses \(name), which /metrics does not export"
                    )
                    #expect(operations.contains(base), "docs/operations.md does not describe \(base)")
                }
            }
        }
    }

    /// The `tidings_…` names in a file.
    static func metricNames(in text: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(text)
        while let start = rest.range(of: "tidings_") {
            let name = rest[start.lowerBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            // Only metric names: `tidings_` followed by a lower-case word (not the Grafana uid).
            if name.count > 8, name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) { names.insert(String(name)) }
            rest = rest[start.upperBound...]
        }
        return names
    }

    /// The histogram a `_bucket`, `_sum` or `_count` series belongs to; other names unchanged.
    static func histogramBase(_ name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    static func bucketsAreCumulative(_ samples: [String: Double], name: String) -> Bool {
        let buckets = samples.compactMap { key, value -> (Double, Double)? in
            guard key.hasPrefix("\(name)_bucket{le=\""), let bound = Double(key.dropFirst(name.count + 12).prefix { $0 != "\"" }) else {
                return nil
            }
            return (bound, value)
        }
        let counts = buckets.sorted { $0.0 < $1.0 }.map(\.1)
        return !counts.isEmpty && zip(counts, counts.dropFirst()).allSatisfy { $0 <= $1 }
    }
}
