import NIOCore

/// One committed event read from the change log: a row change or a `tidings.publish()` call.
///
/// `data` holds the event's JSON exactly as the log stores it, one line; the gateway never
/// re-encodes it, so a stream, a replay and `/changes` all carry the same bytes.
public struct Change: Sendable {
    /// The change-log id: grows in commit order, may skip, never reorders.
    public var id: Int64
    public var topics: [Topic]
    /// The SSE event name: `orders.update`, or the name given to a publish.
    public var event: String
    /// The JSON text of the event, as stored.
    public var data: ByteBuffer
    /// Commit time, seconds since 1970, for the delivery-lag metric.
    public var committedAt: Double

    public init(id: Int64, topics: [Topic], event: String, data: ByteBuffer, committedAt: Double) {
        self.id = id
        self.topics = topics
        self.event = event
        self.data = data
        self.committedAt = committedAt
    }
}
