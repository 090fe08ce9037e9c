import Synchronization
import TidingsCore

extension ChangeFeed {
    /// Hands events this gateway's capturer has just committed to the sink without reading the
    /// log, when they follow the cursor: `previous` at or below it, so no event between the
    /// cursor and them is left unread. Events at or below the cursor (the feed read them first)
    /// are skipped, so the read that the batch's wake-up then makes finds nothing new and no
    /// event reaches the sink twice. Otherwise, or before the feed knows where the log ends, it
    /// does nothing and the wake-up's read brings them.
    ///
    /// Called from the capturer's thread; serialised with the feed's own hand-overs.
    /// - Returns: the number of events handed to the sink.
    @discardableResult
    package func receiveCaptured(_ captured: CapturedEvents) -> Int {
        delivery.withLock { _ in
            guard let skip = machine.withLock({ $0.wrote(after: captured.previous, captured.changes) }) else { return 0 }
            let fresh = captured.changes.dropFirst(skip)
            guard let last = fresh.last else { return 0 }
            sink.receive(Array(fresh))
            status.update {
                $0.cursor = last.id
                $0.eventsCaptured += fresh.count
            }
            return fresh.count
        }
    }
}
