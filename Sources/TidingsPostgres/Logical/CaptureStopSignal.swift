import Synchronization

/// Tells the capturer's thread to stop: set from the service on shutdown or cancellation, read
/// by the thread between its blocking calls (each waits at most a fraction of a second).
final class CaptureStopSignal: Sendable {
    private let stopped = Atomic<Bool>(false)

    var isStopped: Bool { stopped.load(ordering: .relaxed) }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
