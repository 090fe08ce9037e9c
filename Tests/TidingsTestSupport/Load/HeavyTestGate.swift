import Synchronization

/// Lets one load-heavy test (megabytes of events, thousands of transactions, subscribers reading
/// in tiny pieces) run at a time in a test process.
///
/// On a 2-core machine two of them at once starve the other tests running in parallel: database
/// calls pass their deadlines and answer 503, heartbeats come late. Each heavy test takes the gate
/// first thing and gives it back on every path out:
///
///     await HeavyTestGate.shared.enter()
///     defer { HeavyTestGate.shared.leave() }
package final class HeavyTestGate: Sendable {
    package static let shared = HeavyTestGate()

    private struct State {
        var taken = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Waits until no other heavy test runs, then holds the gate.
    package func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let takenNow = state.withLock { state in
                if state.taken {
                    state.waiting.append(continuation)
                    return false
                }
                state.taken = true
                return true
            }
            if takenNow { continuation.resume() }
        }
    }

    /// Hands the gate to the next waiting test, or frees it.
    package func leave() {
        let next = state.withLock { state in
            if state.waiting.isEmpty {
                state.taken = false
                return nil as CheckedContinuation<Void, Never>?
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
