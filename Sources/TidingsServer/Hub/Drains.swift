import Foundation
import Metrics
import NIOCore
import TidingsCore

/// The subscribers one hub delivery left with frames to ``Subscriber/drain()``, by event loop,
/// so each loop gets one task for all of its streams rather than one wake-up per stream.
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
        guard let loop = subscriber.eventLoop else { return }
        byLoop[index(of: loop)].subscribers.append(subscriber)
    }

    /// `change` was queued for `subscriber`; `needsDrain` as ``Subscriber/enqueue(_:)`` said.
    mutating func queued(_ change: Change, for subscriber: Subscriber, needsDrain: Bool) {
        guard let loop = subscriber.eventLoop else { return }
        let index = index(of: loop)
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
        for entry in byLoop {
            let subscribers = entry.subscribers
            let committed = latency == nil ? [] : entry.committed
            guard !subscribers.isEmpty || !committed.isEmpty else { continue }
            entry.loop.execute {
                for subscriber in subscribers { subscriber.drain() }
                guard let latency, !committed.isEmpty else { return }
                let now = Date().timeIntervalSince1970
                for at in committed { latency.recordNanoseconds(Int64(max(0, now - at) * 1_000_000_000)) }
            }
        }
    }
}
