import Synchronization

/// A value behind a lock that callers can wait on until it satisfies a condition.
///
/// Statuses that tests (and only tests) need to see reach a state, such as a feed that is ready
/// or has reconnected, keep their value here: a waiter resumes on the update that satisfies it,
/// instead of polling. An update with no waiter costs one check of an empty list.
package final class WatchedValue<Value: Sendable>: Sendable {
    private struct Waiter {
        let id: UInt64
        let condition: @Sendable (Value) -> Bool
        let continuation: CheckedContinuation<Void, any Error>
    }

    private enum WaitOutcome {
        case cancelled, satisfied, waiting
    }

    private struct State {
        var value: Value
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    package init(_ value: Value) {
        state = Mutex(State(value: value))
    }

    package var value: Value { state.withLock { $0.value } }

    /// Changes the value and resumes every waiter whose condition now holds.
    package func update<Result>(_ change: (inout Value) -> Result) -> Result {
        let (result, satisfied) = state.withLock { state -> (Result, [CheckedContinuation<Void, any Error>]) in
            let result = change(&state.value)
            guard !state.waiters.isEmpty else { return (result, []) }
            let value = state.value
            let satisfied = state.waiters.filter { $0.condition(value) }
            state.waiters.removeAll { $0.condition(value) }
            return (result, satisfied.map(\.continuation))
        }
        for continuation in satisfied { continuation.resume() }
        return result
    }

    /// Returns once the value satisfies `condition` (at once if it already does).
    /// - Throws: `CancellationError` when the waiting task is cancelled first.
    package func wait(until condition: @escaping @Sendable (Value) -> Bool) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // The cancellation flag is set before the handler runs: checked under the lock, a
                // cancel is seen either here or by the handler, never by neither.
                let outcome = state.withLock { state -> WaitOutcome in
                    if Task.isCancelled { return .cancelled }
                    if condition(state.value) { return .satisfied }
                    state.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                    return .waiting
                }
                switch outcome {
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .satisfied: continuation.resume()
                case .waiting: break
                }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }
}
