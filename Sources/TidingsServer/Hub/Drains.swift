import NIOCore

/// The subscribers one hub delivery left with frames to ``Subscriber/drain()``, by event loop,
/// so each loop gets one task for all of its streams rather than one wake-up per stream.
struct Drains {
    private var byLoop: [ObjectIdentifier: (loop: any EventLoop, subscribers: [Subscriber])] = [:]

    mutating func add(_ subscriber: Subscriber) {
        guard let loop = subscriber.eventLoop else { return }
        byLoop[ObjectIdentifier(loop), default: (loop, [])].subscribers.append(subscriber)
    }

    /// Sends each loop its drains; call outside the hub's lock.
    func run() {
        for (loop, subscribers) in byLoop.values {
            loop.execute {
                for subscriber in subscribers { subscriber.drain() }
            }
        }
    }
}
