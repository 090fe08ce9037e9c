public import Metrics

/// The hub's series (docs/protocol.md, "Metrics"), made by one gateway's metrics factory so that
/// several gateways in one process (the tests) count apart.
public struct HubMetrics: Sendable {
    let subscribers: Gauge
    let streamsOpened: Counter
    let streamsClosed: Counter
    let eventsRead: Counter
    let eventsDelivered: Counter
    let cutOff: Counter
    /// Overflows a subscriber recovered from by replaying the log.
    let lagged: Counter
    /// Now minus the commit time of the last event handed to subscribers.
    let deliveryLag: Gauge
    /// From an event's commit to its write into the streams of one event loop: a histogram,
    /// one sample per event and loop that had a stream for it (``Drains``).
    let deliveryLatency: Timer
    /// Events per batch the change feed hands over: one read of the log (a catch-up reads up
    /// to 1,000 at a time), or a run of events carried by their wake-ups. A histogram.
    let feedBatch: Recorder

    public init(factory: any MetricsFactory) {
        subscribers = Gauge(label: "tidings_subscribers", factory: factory)
        streamsOpened = Counter(label: "tidings_streams_opened_total", factory: factory)
        streamsClosed = Counter(label: "tidings_streams_closed_total", factory: factory)
        eventsRead = Counter(label: "tidings_events_read_total", factory: factory)
        eventsDelivered = Counter(label: "tidings_events_delivered_total", factory: factory)
        cutOff = Counter(label: "tidings_subscribers_cut_off_total", factory: factory)
        lagged = Counter(label: "tidings_subscribers_lagged_total", factory: factory)
        deliveryLag = Gauge(label: "tidings_delivery_lag_seconds", factory: factory)
        deliveryLatency = Timer(label: "tidings_delivery_latency_seconds", factory: factory)
        feedBatch = Recorder(label: "tidings_feed_batch_events", factory: factory)
    }
}
