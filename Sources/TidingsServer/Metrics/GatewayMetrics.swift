import Metrics
import Prometheus
import Synchronization
import TidingsPostgres

/// One gateway's Prometheus registry and the series outside the hub: what `/metrics` shows.
///
/// Each gateway owns its registry rather than bootstrapping the process-wide metrics system,
/// so the tests can run several gateways side by side and read each one's counters.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: PrometheusMetricsFactory
    let hub: HubMetrics
    let listenerReconnects: Metrics.Counter
    let eventsPruned: Metrics.Counter
    let published: Metrics.Counter
    /// WAL the logical capture's slot holds back (`capture.mode: logical`).
    let captureLag: Metrics.Gauge
    private let changesRequests: Mutex<[Int: Metrics.Counter]> = Mutex([:])
    private let reconnectsSeen = Mutex(0)

    init() {
        factory = PrometheusMetricsFactory(registry: registry)
        hub = HubMetrics(factory: factory)
        listenerReconnects = Metrics.Counter(label: "tidings_listener_reconnects_total", factory: factory)
        eventsPruned = Metrics.Counter(label: "tidings_events_pruned_total", factory: factory)
        published = Metrics.Counter(label: "tidings_published_total", factory: factory)
        captureLag = Metrics.Gauge(label: "tidings_capture_lag_bytes", factory: factory)
    }

    /// Counts one `/changes` answer by its status code.
    func countChangesRequest(status: Int) {
        let counter = changesRequests.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = Metrics.Counter(
                label: "tidings_changes_requests_total",
                dimensions: [("status", String(status))],
                factory: factory
            )
            counters[status] = counter
            return counter
        }
        counter.increment()
    }

    /// The Prometheus text of every series, after bringing the feed's counters up to date.
    func exposition(feed: FeedStatus, capture: CaptureStatus? = nil) -> [UInt8] {
        if let capture { captureLag.record(capture.lagBytes) }
        let reconnects = feed.snapshot.reconnects
        let delta = reconnectsSeen.withLock { seen in
            defer { seen = max(seen, reconnects) }
            return max(0, reconnects - seen)
        }
        if delta > 0 { listenerReconnects.increment(by: delta) }
        return registry.emitToBuffer()
    }
}
