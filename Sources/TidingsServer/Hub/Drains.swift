import NIOCore

/// The subscribers one hub delivery left with frames to ``Subscriber/drain()``, by event loop,
/// so each loop gets one task for all of its streams rather than one wake-up per stream.
struct Drains {
    /// A gateway has a loop per core or fewer (``ServerThreads``): a linear search by identity beats hashing.
    private var byLoop: [(loop: any EventLoop, subscribers: [Subscriber])] = []

    mutating func add(_ subscriber: Subscriber) {
        guard let loop = subscriber.eventLoop else { return }
        for index in byLoop.indices where byLoop[index].loop === loop {
            byLoop[index].subscribers.append(subscriber)
            return
        }
        byLoop.append((loop, [subscriber]))
    }

    /// Sends each loop its drains; call outside the hub's lock.
    func run() {
        for (loop, subscribers) in byLoop {
            loop.execute {
                for subscriber in subscribers { subscriber.drain() }
            }
        }
    }
}
