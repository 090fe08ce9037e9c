import ServiceLifecycle

/// The one timer behind every stream's heartbeat and token expiry.
///
/// Heartbeats go to idle streams every `heartbeat`; expiry is checked every `expiryResolution`.
/// One loop for all streams keeps per-stream cost at zero between events.
struct HubClock: Service {
    let hub: Hub
    let heartbeat: Duration
    let expiryResolution: Duration

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while true {
                            try await Task.sleep(for: heartbeat)
                            hub.heartbeat()
                        }
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: expiryResolution)
                            hub.expire(now: .now)
                        }
                    }
                    try await group.next()
                }
            }
        } catch is CancellationError {
            // Graceful shutdown or cancellation: stop the timers.
        }
        hub.endAll()
    }
}
