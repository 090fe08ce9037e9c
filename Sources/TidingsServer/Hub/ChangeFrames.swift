import NIOCore
import TidingsCore

/// The frames of one event for the hub's fan-out: the event's own and, for a moved row, its
/// moved delete, each encoded at most once and shared by every subscriber that gets it.
struct ChangeFrames {
    let change: Change
    let allocator: ByteBufferAllocator
    private var event: Subscriber.QueuedFrame?
    private var moved: Subscriber.QueuedFrame?

    init(change: Change, allocator: ByteBufferAllocator) {
        self.change = change
        self.allocator = allocator
    }

    /// The frame `grant` gets (``Grant/delivery(of:)``), or `nil`. The caller found the
    /// subscriber through the topic index, so a plain event needs only the visibility test.
    mutating func frame(for grant: Grant) -> Subscriber.QueuedFrame? {
        let delivery: Grant.Delivery?
        if change.move == nil && change.truncated == nil {
            delivery = grant.isVisible(change.topics) ? .event : nil
        } else {
            delivery = grant.delivery(of: change)
        }
        switch delivery {
        case .event:
            if let event { return event }
            let frame = Subscriber.QueuedFrame(id: change.id, bytes: SSEFrame.event(for: change, allocator: allocator))
            event = frame
            return frame
        case .moved:
            if let moved { return moved }
            guard let view = change.movedView else { return nil }
            let frame = Subscriber.QueuedFrame(id: change.id, bytes: SSEFrame.event(for: view, allocator: allocator))
            moved = frame
            return frame
        case nil:
            return nil
        }
    }
}
