import NIOCore
import Synchronization

/// Counts the gateway's open connections (`limits.max_connections`) and turns away the ones
/// past the limit.
///
/// Hummingbird's `AvailableConnectionsDelegate` stops accepting past a limit, which leaves
/// further clients waiting in the kernel's backlog; SPEC §2 wants them closed at once, so the
/// count is taken in the child channel's initializer and an excess connection is closed there.
final class ConnectionCounter: Sendable {
    let limit: Int
    private let open = Atomic(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// The connections open now.
    var count: Int { open.load(ordering: .relaxed) }

    /// Counts `channel` until it closes; false (and nothing counted) when the limit is reached.
    func admit(_ channel: any Channel) -> Bool {
        let (_, admitted) = open.wrappingAdd(1, ordering: .relaxed)
        guard admitted <= limit else {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        channel.closeFuture.whenComplete { [self] _ in open.wrappingSubtract(1, ordering: .relaxed) }
        return true
    }
}
