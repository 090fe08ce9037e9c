import NIOCore
import TidingsCore

extension Change {
    /// One row of the log as the gateway uses it; a TRUNCATE's topics are selectors (see
    /// ``Change/truncated``). Every reader of the log, and the capturer handing over what it has
    /// just logged, builds its events here, so they are the same whatever path they took.
    init(
        loggedID id: Int64,
        topics: [String],
        event: String,
        data: ByteBuffer,
        at: Double,
        op: String,
        oldTopics: [String]?,
        moved: ByteBuffer?
    ) {
        if op == "truncate" {
            let selectors = topics.compactMap { try? Selector(parsing: $0) }
            self.init(id: id, topics: [], event: event, data: data, committedAt: at, truncated: selectors)
            return
        }
        let parsed = topics.compactMap { try? Topic(logged: $0) }
        let move = moved.map { data in
            Change.Move(oldTopics: (oldTopics ?? []).compactMap { try? Topic(logged: $0) }, data: data)
        }
        self.init(id: id, topics: parsed, event: event, data: data, committedAt: at, move: move)
    }
}
