extension GatewayMetrics {
    /// Latency buckets for the duration histograms, from a loopback delivery (about a
    /// millisecond) to a long poll's deadline (at most 60 s).
    static let durationBuckets: [String: [Duration]] = [
        "tidings_delivery_latency_seconds": [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5),
            .seconds(10), .seconds(30),
        ],
        "tidings_request_duration_seconds": [
            .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60),
        ],
    ]

    /// Event-count buckets: one event per read when live, up to the feed's batch of 1,000 when
    /// it catches up.
    static let valueBuckets: [String: [Double]] = [
        "tidings_feed_batch_events": [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    ]
}
