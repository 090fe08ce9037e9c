import Foundation
public import Metrics
public import NIOCore
import Synchronization
public import TidingsCore
public import TidingsPostgres

/// Fans committed events out to the open streams whose grant and request match them.
///
/// The change feed hands it batches in id order. Each event is encoded into its SSE frame once;
/// the topic index yields the candidate subscribers, and every one of them gets the same bytes in
/// its bounded queue. Nothing here waits on a client: a full queue cuts that subscriber off.
public final class Hub: ChangeSink {
    private struct State {
        var index = TopicIndex<Subscriber>()
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        /// The last id handed out; `nil` until the feed has started.
        var cursor: Int64?
        var startWaiters: [CheckedContinuation<Int64, Never>] = []
        var cutOffs = AwaitedCount()
        /// Streams registered since start.
        var opened = AwaitedCount()
        /// ``endAll()`` has run: the gateway is shutting down, and a stream registering now ends at once.
        var isShutDown = false
        /// Callers of ``untilShutDown()``.
        var shutDownWaiters: [CheckedContinuation<Void, Never>] = []
        /// Numbers live events, to queue each once per subscriber.
        var liveSequence = 0
    }

    private let state = Mutex(State())
    private let allocator = ByteBufferAllocator()
    let metrics: HubMetrics

    /// - Parameter metrics: where the hub counts; by default the process's metrics system.
    public init(metrics: HubMetrics = HubMetrics(factory: MetricsSystem.factory)) {
        self.metrics = metrics
    }

    // MARK: ChangeSink

    public func start(after cursor: Int64) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int64, Never>] in
            guard state.cursor == nil else { return [] }
            state.cursor = cursor
            defer { state.startWaiters = [] }
            return state.startWaiters
        }
        for waiter in waiters { waiter.resume(returning: cursor) }
    }

    public func receive(_ changes: [Change]) {
        var delivered = 0
        var lagged = 0
        var drains = Drains()
        state.withLock { state in
            for change in changes {
                var offers = ChangeOffers(frames: ChangeFrames(change: change, allocator: allocator))
                if change.truncated != nil {
                    // Rare, and its selectors match no single topic: every subscriber is asked.
                    for subscriber in state.subscribers.values { offers.offer(to: subscriber, drains: &drains) }
                } else {
                    for topic in change.topics {
                        state.index.forEachMatch(topic) { offers.offer(to: $1, drains: &drains) }
                    }
                    for topic in change.move?.oldTopics ?? [] {
                        state.index.forEachMatch(topic) { offers.offer(to: $1, drains: &drains) }
                    }
                }
                delivered += offers.delivered
                lagged += offers.lagged
                state.cursor = change.id
            }
        }
        drains.run(latency: metrics.deliveryLatency)
        metrics.feedBatch.record(changes.count)
        metrics.eventsRead.increment(by: changes.count)
        metrics.eventsDelivered.increment(by: delivered)
        if lagged > 0 { metrics.lagged.increment(by: lagged) }
        if let last = changes.last {
            metrics.deliveryLag.record(max(0, Date().timeIntervalSince1970 - last.committedAt))
        }
    }

    public func reset(after cursor: Int64, oldest: Int64) {
        // Queued like a channel event: never skipped as already written, and after every frame before it.
        let frame = Subscriber.QueuedFrame(id: .min, bytes: SSEFrame.reset(after: cursor, oldest: oldest), isLive: true)
        var drains = Drains()
        state.withLock { state in
            for subscriber in state.subscribers.values where subscriber.enqueue(frame).needsDrain { drains.add(subscriber) }
        }
        drains.run()
    }

    /// Hands a live event (a NOTIFY channel's payload: no id, not in the log) to the
    /// subscribers whose grant and request match one of its topics.
    public func receiveLive(topics: [Topic], frame bytes: ByteBuffer) {
        let frame = Subscriber.QueuedFrame(id: .min, bytes: bytes, isLive: true)
        var drains = Drains()
        let delivered = state.withLock { state -> Int in
            state.liveSequence += 1
            let sequence = state.liveSequence
            var delivered = 0
            for topic in topics {
                state.index.forEachMatch(topic) { _, subscriber in
                    guard subscriber.lastLiveSequence != sequence else { return }
                    subscriber.lastLiveSequence = sequence
                    guard subscriber.grant.isVisible(topics) else { return }
                    let (outcome, needsDrain) = subscriber.enqueue(frame)
                    if outcome == .queued { delivered += 1 }
                    if needsDrain { drains.add(subscriber) }
                }
            }
            return delivered
        }
        drains.run()
        metrics.eventsDelivered.increment(by: delivered)
    }

    // MARK: Subscribers

    /// Registers a stream. Live events are queued from now on; the returned cursor is the last
    /// event already handed out (`nil` before the feed has started: see ``startCursor()``).
    ///
    /// Public so that the hub benchmarks (`Benchmarks/HubBenchmarks`) can register streams
    /// through their own ``StreamSink``; the gateway's streams register from this module.
    public func subscribe(
        grant: Grant,
        capacity: Int,
        expiresAt: ContinuousClock.Instant?,
        sink: any StreamSink
    ) -> (subscriber: Subscriber, cursor: Int64?) {
        let (result, isShutDown, opened) = state.withLock { state -> ((Subscriber, Int64?), Bool, [CheckedContinuation<Void, Never>]) in
            state.nextID += 1
            let subscriber = Subscriber(id: state.nextID, grant: grant, capacity: capacity, expiresAt: expiresAt, sink: sink)
            state.subscribers[subscriber.id] = subscriber
            for selector in grant.requested { state.index.insert(selector, key: subscriber.id, value: subscriber) }
            return ((subscriber, state.cursor), state.isShutDown, state.opened.add(1))
        }
        for waiter in opened { waiter.resume() }
        if isShutDown { result.0.end(.shutdown) }
        metrics.subscribers.record(subscriberCount)
        metrics.streamsOpened.increment()
        return result
    }

    /// Removes a stream; safe to call more than once.
    public func unsubscribe(_ subscriber: Subscriber) {
        let removed = state.withLock { state -> Bool in
            guard state.subscribers[subscriber.id] != nil else { return false }
            Self.remove(subscriber, from: &state)
            return true
        }
        if removed {
            metrics.subscribers.record(subscriberCount)
        }
        metrics.streamsClosed.increment()
    }

    private static func remove(_ subscriber: Subscriber, from state: inout State) {
        state.subscribers[subscriber.id] = nil
        for selector in subscriber.grant.requested { state.index.remove(selector, key: subscriber.id) }
    }

    /// The feed's starting cursor, waiting for the feed's first connection if need be.
    func startCursor() async -> Int64 {
        await withCheckedContinuation { continuation in
            let cursor = state.withLock { state -> Int64? in
                if let cursor = state.cursor { return cursor }
                state.startWaiters.append(continuation)
                return nil
            }
            if let cursor { continuation.resume(returning: cursor) }
        }
    }

    /// The last id handed to subscribers, `nil` before the feed has started.
    var cursor: Int64? { state.withLock { $0.cursor } }

    /// Subscribers cut off since start (`metrics.cutOff` counts the same).
    var testOnlyCutOffCount: Int { state.withLock { $0.cutOffs.value } }

    /// Returns once `count` subscribers have been cut off since start.
    func testOnlyCutOffs(reaching count: Int) async {
        await withCheckedContinuation { continuation in
            if !state.withLock({ $0.cutOffs.wait(for: count, continuation) }) { continuation.resume() }
        }
    }

    /// Returns once `count` streams (and `/changes` waits) have registered since start
    /// (`tidings_streams_opened_total` counts the same).
    func testOnlyStreamsOpened(reaching count: Int) async {
        await withCheckedContinuation { continuation in
            if !state.withLock({ $0.opened.wait(for: count, continuation) }) { continuation.resume() }
        }
    }

    /// A stream cut `subscriber` off: its client stopped reading.
    func cutOff(_ subscriber: Subscriber) {
        let (removed, satisfied) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard state.subscribers[subscriber.id] != nil else { return (false, []) }
            Self.remove(subscriber, from: &state)
            return (true, state.cutOffs.add(1))
        }
        for waiter in satisfied { waiter.resume() }
        guard removed else { return }
        metrics.cutOff.increment()
        metrics.subscribers.record(subscriberCount)
    }

    /// Open streams now.
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ticks every stream's heartbeat clock, one task per event loop: an idle stream writes a
    /// heartbeat, one stuck on an unread socket is cut off (``cutOff(_:)``).
    func heartbeat() {
        var ticks = Drains()
        for subscriber in state.withLock({ Array($0.subscribers.values) }) { ticks.add(subscriber) }
        ticks.runTicks()
    }

    /// Ends the streams whose token has expired by `now`.
    func expire(now: ContinuousClock.Instant) {
        let expired = state.withLock { state -> [Subscriber] in
            let due = state.subscribers.values.filter { $0.expiresAt.map { $0 <= now } ?? false }
            for subscriber in due { Self.remove(subscriber, from: &state) }
            return due
        }
        for subscriber in expired { subscriber.end(.expired) }
    }

    /// Ends every stream: the gateway is shutting down.
    func endAll() {
        let (all, waiters) = state.withLock { state -> ([Subscriber], [CheckedContinuation<Void, Never>]) in
            defer {
                state.subscribers = [:]
                state.index = TopicIndex()
                state.isShutDown = true
                state.shutDownWaiters = []
            }
            return (Array(state.subscribers.values), state.shutDownWaiters)
        }
        for subscriber in all { subscriber.end(.shutdown) }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once ``endAll()`` has run.
    func untilShutDown() async {
        await withCheckedContinuation { continuation in
            let isShutDown = state.withLock { state -> Bool in
                if !state.isShutDown { state.shutDownWaiters.append(continuation) }
                return state.isShutDown
            }
            if isShutDown { continuation.resume() }
        }
    }
}
