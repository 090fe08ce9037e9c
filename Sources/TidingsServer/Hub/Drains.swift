import Foundation
import Metrics
import NIOCore
import TidingsCore

/// The subscribers one hub delivery left with frames to ``Subscriber/drain()`` (or one heartbeat
/// tick to ``Subscriber/tick()``), by event loop, so each loop gets one task for all of its
/// streams rather than one wake-up per stream, and each stream writes and flushes once.
///
/// It also notes which events each loop was given, so that ``run(latency:)`` can time each
/// event from its commit to its write on that loop.
struct Drains {
    private struct Loop {
        let loop: any EventLoop
        var subscribers: [Subscriber] = []
        /// Commit times of the events queued for this loop's streams, one per event.
        var committed: [Double] = []
        var lastID: Int64 = .min
    }

    /// A gateway has a loop per core or fewer (``ServerThreads``): a linear search by identity beats hashing.
    private var byLoop: [Loop] = []

    mutating func add(_ subscriber: Subscriber) {
        byLoop[index(of: subscriber.eventLoop)].subscribers.append(subscriber)
    }

    /// `change` was queued for `subscriber`; `needsDrain` as ``Subscriber/enqueue(_:)`` said.
    mutating func queued(_ change: Change, for subscriber: Subscriber, needsDrain: Bool) {
        let index = index(of: subscriber.eventLoop)
        if needsDrain { byLoop[index].subscribers.append(subscriber) }
        if byLoop[index].lastID != change.id {
            byLoop[index].lastID = change.id
            byLoop[index].committed.append(change.committedAt)
        }
    }

    private mutating func index(of loop: any EventLoop) -> Int {
        if let index = byLoop.firstIndex(where: { $0.loop === loop }) { return index }
        byLoop.append(Loop(loop: loop))
        return byLoop.count - 1
    }

    /// Sends each loop its drains; call outside the hub's lock. With `latency`, each loop then
    /// records, for every event queued for its streams, the time from the event's commit to now:
    /// a drain scheduled earlier runs before this one, so the frames are written by then.
    func run(latency: Timer? = nil) {
        run(latency: latency) { $0.drain() }
    }

    /// Sends each loop its streams' heartbeat ticks; call outside the hub's lock.
    func runTicks() {
        run(latency: nil) { $0.tick() }
    }

    private func run(latency: Timer?, _ body: @escaping @Sendable (Subscriber) -> Void) {
        for entry in byLoop {
            let subscribers = entry.subscribers
            let committed = latency == nil ? [] : entry.committed
            guard !subscribers.isEmpty || !committed.isEmpty else { continue }
            entry.loop.execute {
                for subscriber in subscribers { body(subscriber) }
                guard let latency, !committed.isEmpty else { return }
                let now = Date().timeIntervalSince1970
                for at in committed { latency.recordNanoseconds(Int64(max(0, now - at) * 1_000_000_000)) }
            }
        }
    }
}
