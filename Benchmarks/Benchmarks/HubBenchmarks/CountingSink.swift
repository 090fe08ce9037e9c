import NIOCore
import Synchronization
import TidingsServer

/// A stream without a socket: when the hub asks it to drain, it takes its subscriber's queue and
/// counts the frames, as a stream would before writing them. It keeps the fan-out benchmark's
/// queues empty, so each iteration measures one event's queueing and taking, not overflow.
final class CountingSink: StreamSink {
    let eventLoop: any EventLoop
    /// Set once `Hub.subscribe` has returned.
    private let subscriber = Mutex<Subscriber?>(nil)
    private let taken = Atomic<Int>(0)

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The frames taken so far.
    var framesTaken: Int { taken.load(ordering: .relaxed) }

    func attach(_ subscriber: Subscriber) {
        self.subscriber.withLock { $0 = subscriber }
    }

    func drain() {
        guard let subscriber = subscriber.withLock({ $0 }) else { return }
        if case .frames(let frames) = subscriber.take() {
            taken.add(frames.count, ordering: .relaxed)
        }
    }

    func tick() {}

    func end(_ reason: Subscriber.Ending) {
        subscriber.withLock { $0 = nil }
    }
}
