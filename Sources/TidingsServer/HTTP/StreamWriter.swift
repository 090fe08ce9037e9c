import Hummingbird
import Logging
import NIOCore
import TidingsCore

/// Writes one subscriber's stream: the replay after its `Last-Event-ID`, then live frames,
/// heartbeats, and the closing event.
///
/// Live frames are queued from the moment the subscriber registered, so the replay only has to
/// cover ids up to the hub's cursor at that moment; any live frame at or below the last id
/// written is skipped. Together: no gap, no duplicate.
struct StreamWriter: Sendable {
    let hub: Hub
    let replay: LogReplay
    let subscriber: Subscriber
    let logger: Logger

    func run(writer: inout any ResponseBodyWriter, resumeAfter lastEventID: Int64?, cursor: Int64?) async throws {
        var lastWritten = Int64.min
        if let lastEventID {
            lastWritten = lastEventID
            let through: Int64
            if let cursor {
                through = cursor
            } else {
                through = await hub.startCursor()
            }
            if through > lastEventID {
                try await replay.replay(
                    after: lastEventID,
                    through: through,
                    grant: subscriber.grant,
                    isCancelled: { subscriber.hasEnded },
                    write: { frames in try await writer.write(contentsOf: frames) }
                )
                lastWritten = through
            }
        }
        while true {
            switch await subscriber.next() {
            case .frames(let frames):
                guard let newest = frames.last?.id, newest > lastWritten else { continue }
                if frames[0].id > lastWritten {
                    try await writer.write(contentsOf: frames.lazy.map(\.bytes))
                } else {
                    try await writer.write(contentsOf: frames.lazy.filter { $0.id > lastWritten }.map(\.bytes))
                }
                lastWritten = newest
            case .heartbeat:
                try await writer.write(SSEFrame.heartbeat)
            case .end(.expired):
                try await writer.write(SSEFrame.expired)
                return
            case .end(let reason):
                if reason == .cutOff { logger.info("subscriber cut off: it fell a full buffer behind") }
                return
            }
        }
    }
}
