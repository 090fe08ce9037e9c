import TidingsCore

/// Offers one event to the subscribers the hub finds for it, once each, and counts the outcome.
struct ChangeOffers {
    var frames: ChangeFrames
    var delivered = 0
    var lagged = 0

    mutating func offer(to subscriber: Subscriber, drains: inout Drains) {
        let id = frames.change.id
        guard subscriber.lastQueuedID != id else { return }
        subscriber.lastQueuedID = id
        guard let frame = frames.frame(for: subscriber.grant) else { return }
        let (outcome, needsDrain) = subscriber.enqueue(frame)
        switch outcome {
        case .queued:
            delivered += 1
            drains.queued(frames.change, for: subscriber, needsDrain: needsDrain)
            return
        case .lagged: lagged += 1
        case .ignored: break
        }
        if needsDrain { drains.add(subscriber) }
    }
}
