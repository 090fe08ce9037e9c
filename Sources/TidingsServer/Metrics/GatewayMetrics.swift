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
    /// 1 while the change feed is connected and caught up (what `/readyz` answers), else 0.
    let feedReady: Metrics.Gauge
    let notificationQueueUsage: Metrics.Gauge
    private let captureProblems: Mutex<[String: Metrics.Counter]> = Mutex([:])
    /// WAL the logical capture's slot holds back (`capture.mode: logical`).
    let captureLag: Metrics.Gauge
    /// Events this gateway's capturer handed to its hub without a read of the log.
    let eventsHandedByCapturer: Metrics.Counter
    private let changesRequests: Mutex<[Int: Metrics.Counter]> = Mutex([:])
    private let requestDurations: [TimedRequest: Metrics.Timer]
    private let reconnectsSeen = Mutex(0)
    private let capturedSeen = Mutex(0)

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = Self.durationBuckets
        factory.valueHistogramBuckets = Self.valueBuckets
        self.factory = factory
        hub = HubMetrics(factory: factory)
        feedReady = Metrics.Gauge(label: "tidings_feed_ready", factory: factory)
        requestDurations = Dictionary(
            uniqueKeysWithValues: TimedRequest.allCases.map { request in
                (
                    request,
                    Metrics.Timer(label: "tidings_request_duration_seconds", dimensions: [("endpoint", request.rawValue)], factory: factory)
                )
            }
        )
        listenerReconnects = Metrics.Counter(label: "tidings_listener_reconnects_total", factory: factory)
        eventsPruned = Metrics.Counter(label: "tidings_events_pruned_total", factory: factory)
        published = Metrics.Counter(label: "tidings_published_total", factory: factory)
        eventsHandedByCapturer = Metrics.Counter(label: "tidings_events_handed_by_capturer_total", factory: factory)
        notificationQueueUsage = Metrics.Gauge(label: "tidings_notification_queue_usage", factory: factory)
        captureLag = Metrics.Gauge(label: "tidings_capture_lag_bytes", factory: factory)
    }

    /// Counts problems capture met in writes to `table` (``CaptureProblemWatch``).
    func countCaptureProblems(table: String, count: Int) {
        let counter = captureProblems.withLock { counters in
            if let counter = counters[table] { return counter }
            let counter = Metrics.Counter(label: "tidings_capture_problems_total", dimensions: [("table", table)], factory: factory)
            counters[table] = counter
            return counter
        }
        counter.increment(by: count)
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

    /// Records how long one request took to answer, from its arrival to its response.
    func recordRequest(_ request: TimedRequest, since start: ContinuousClock.Instant) {
        requestDurations[request]?.record(duration: ContinuousClock.now - start)
    }

    /// The Prometheus text of every series, after bringing the feed's counters up to date.
    func exposition(feed: FeedStatus, capture: CaptureStatus? = nil) -> [UInt8] {
        let snapshot = feed.snapshot
        feedReady.record(snapshot.isReady ? 1 : 0)
        if let capture { captureLag.record(capture.lagBytes) }
        let reconnects = snapshot.reconnects
        let delta = reconnectsSeen.withLock { seen in
            defer { seen = max(seen, reconnects) }
            return max(0, reconnects - seen)
        }
        if delta > 0 { listenerReconnects.increment(by: delta) }
        let captured = snapshot.eventsCaptured
        let handed = capturedSeen.withLock { seen in
            defer { seen = max(seen, captured) }
            return max(0, captured - seen)
        }
        if handed > 0 { eventsHandedByCapturer.increment(by: handed) }
        notificationQueueUsage.record(feed.snapshot.notificationQueueUsage)
        return registry.emitToBuffer()
    }
}
