public import NIOCore

/// One committed event read from the change log: a row change, a TRUNCATE or a
/// `tidings.publish()` call.
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
    /// An update that moved its row to other topics: the old topics and the JSON of the delete
    /// that subscribers of only those get (SPEC §5); `nil` for every other event.
    public var move: Move?
    /// A TRUNCATE: the topics its table's templates can make, as selectors (placeholders as `*`);
    /// `nil` for every other event.
    public var truncated: [Selector]?

    /// What a moved row's old subscribers get instead of the update.
    public struct Move: Sendable {
        public var oldTopics: [Topic]
        /// `{"id","topics"(old),"table","op":"delete","old":{key},"moved":true,"at"}`, as stored.
        public var data: ByteBuffer

        public init(oldTopics: [Topic], data: ByteBuffer) {
            self.oldTopics = oldTopics
            self.data = data
        }
    }

    public init(
        id: Int64,
        topics: [Topic],
        event: String,
        data: ByteBuffer,
        committedAt: Double,
        move: Move? = nil,
        truncated: [Selector]? = nil
    ) {
        self.id = id
        self.topics = topics
        self.event = event
        self.data = data
        self.committedAt = committedAt
        self.move = move
        self.truncated = truncated
    }

    /// The moved delete as an event of its own (same id, `TABLE.delete`, the old topics), or
    /// `nil` when this event moved nothing.
    public var movedView: Change? {
        guard let move else { return nil }
        var name = event
        if name.hasSuffix(".update") { name = String(name.dropLast(".update".count)) + ".delete" }
        return Change(id: id, topics: move.oldTopics, event: name, data: move.data, committedAt: committedAt)
    }
}
