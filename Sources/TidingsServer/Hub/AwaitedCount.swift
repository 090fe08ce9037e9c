/// A count that callers can wait for, kept under its owner's lock: tests wait for the hub to
/// reach a state (a cut-off, a stream handed to its event loop) instead of sleeping.
struct AwaitedCount {
    private(set) var value = 0
    private var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []

    /// Adds `amount`; returns the waiters now satisfied, to resume outside the lock.
    mutating func add(_ amount: Int) -> [CheckedContinuation<Void, Never>] {
        value += amount
        let reached = value
        defer { waiters.removeAll { $0.target <= reached } }
        return waiters.filter { $0.target <= reached }.map(\.continuation)
    }

    /// Keeps `continuation` until the count reaches `target`; false when it already has (the
    /// caller resumes it then).
    mutating func wait(for target: Int, _ continuation: CheckedContinuation<Void, Never>) -> Bool {
        guard value < target else { return false }
        waiters.append((target, continuation))
        return true
    }
}
