import ServiceLifecycle
import Synchronization

/// Ends every stream when the server begins its graceful shutdown.
///
/// An HTTP/2 stream's connection does not pass the shutdown on to its streams, and a stream's
/// task waits on its ``StreamConnection``, not on the server; so one task hears it for all of
/// them. It is started from the first stream request's task, whose graceful-shutdown context (the
/// server's) it inherits, and it ends when the hub has ended every stream, at shutdown or when
/// the hub's clock stops.
final class StreamShutdownWatch: Sendable {
    private let hub: Hub
    private let started = Atomic(false)

    init(hub: Hub) {
        self.hub = hub
    }

    /// Starts the watch, once; call from a request's task.
    func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        Task { [hub] in
            await withGracefulShutdownHandler {
                await hub.untilShutDown()
            } onGracefulShutdown: {
                hub.endAll()
            }
        }
    }
}
