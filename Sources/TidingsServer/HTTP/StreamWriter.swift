import Hummingbird
import Logging
import NIOCore
import TidingsCore
import TidingsPostgres

/// Writes one subscriber's stream: the replay after its `Last-Event-ID`, then live frames,
/// heartbeats, and the closing event.
///
/// Live frames are queued from the moment the subscriber registered, so the replay only has to
/// cover ids up to the hub's cursor at that moment; any live frame at or below the last id
/// written is skipped. Together: no gap, no duplicate. After the queue overflowed (a burst
/// larger than `stream.buffer`), the same replay fills the gap up to the hub's current cursor.
/// The last id written lives in the subscriber: while this writer is parked, the hub writes live
/// frames itself (``Subscriber/drain()``) and moves it on. Given a ``StreamDriver``, a writer with
/// nothing left to do hands the stream to its event loop and returns.
struct StreamWriter: Sendable {
    /// How a writer's run ended.
    enum Outcome: Equatable {
        /// The stream ended; the caller writes what the ending sends and ends the response.
        case ended(Subscriber.Ending)
        /// The stream's event loop runs it now (see ``StreamDriver``).
        case handedOff
    }

    let hub: Hub
    let replay: LogReplay
    let subscriber: Subscriber
    let logger: Logger

    /// Writes the delivered events of `(after, through]` from the log; returns the new last id.
    private func fillGap(after: Int64, through: Int64, writer: inout any ResponseBodyWriter) async throws -> Int64 {
        guard through > after else { return after }
        try await replay.replay(
            after: after,
            through: through,
            grant: subscriber.grant,
            isCancelled: { subscriber.hasEnded },
            write: { frames in
                subscriber.beginWrite()
                try await writer.write(contentsOf: frames)
                subscriber.endWrite()
            }
        )
        return through
    }

    /// Starts a stream: replays what followed `lastEventID`, then writes live frames.
    func run(
        writer: inout any ResponseBodyWriter,
        resumeAfter lastEventID: Int64?,
        cursor: Int64?,
        handOffTo driver: (any StreamDriver)? = nil
    ) async throws -> Outcome {
        // Events up to the cursor at registration predate a fresh stream.
        subscriber.lastWritten = lastEventID ?? cursor ?? Int64.min
        if var lastEventID {
            let retention = try await replay.retentionState(isCancelled: { subscriber.hasEnded })
            if retention.requiresReset(after: lastEventID) {
                try await writer.write(SSEFrame.reset(after: lastEventID, oldest: retention.oldest))
                lastEventID = retention.resumePoint(after: lastEventID)
                subscriber.lastWritten = lastEventID
            }
            let through: Int64
            if let cursor {
                through = cursor
            } else {
                through = await hub.startCursor()
            }
            subscriber.lastWritten = try await fillGap(after: lastEventID, through: through, writer: &writer)
        }
        return try await writeLive(writer: &writer, handOffTo: driver)
    }

    /// Writes what the subscriber has for it until the stream ends or is handed off.
    func writeLive(writer: inout any ResponseBodyWriter, handOffTo driver: (any StreamDriver)?) async throws -> Outcome {
        while true {
            switch await subscriber.next(handOffTo: driver) {
            case .lagged:
                var lastWritten = subscriber.lastWritten
                if lastWritten == .min { lastWritten = await hub.startCursor() }
                subscriber.lastWritten = try await fillGap(
                    after: lastWritten,
                    through: hub.cursor ?? lastWritten,
                    writer: &writer
                )
            case .frames(let frames):
                // Logged frames at or below the last id written came with the replay; live ones never do.
                let fresh = Subscriber.unwritten(frames, lastWritten: &subscriber.lastWritten)
                guard !fresh.isEmpty else { continue }
                subscriber.beginWrite()
                try await writer.write(contentsOf: fresh.lazy.map(\.bytes))
                subscriber.endWrite()
            case .heartbeat:
                subscriber.beginWrite()
                try await writer.write(SSEFrame.heartbeat)
                subscriber.endWrite()
            case .end(let reason):
                return .ended(reason)
            case .handedOff:
                return .handedOff
            }
        }
    }
}
