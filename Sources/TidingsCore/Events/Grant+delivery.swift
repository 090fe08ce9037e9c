extension Grant {
    /// Which frame of an event a subscriber gets, if any: the one rule the hub, a replay and
    /// `/changes` all apply (SPEC §3 and §5).
    public enum Delivery: Sendable, Equatable {
        /// The event itself.
        case event
        /// The moved delete (``Change/movedView``): its old topics were deliverable, its new ones are not.
        case moved
    }

    /// The update when its new topics are deliverable, else the moved delete when its old ones
    /// were; a TRUNCATE when a requested selector and a granted one each match a topic its
    /// table's templates can make; any other event when it is deliverable.
    public func delivery(of change: Change) -> Delivery? {
        if let selectors = change.truncated {
            let requestedMatch = requested.contains { request in selectors.contains { request.overlaps($0) } }
            let grantedMatch = granted.contains { grant in selectors.contains { grant.overlaps($0) } }
            return requestedMatch && grantedMatch ? .event : nil
        }
        if delivers(change.topics) { return .event }
        if let move = change.move, delivers(move.oldTopics) { return .moved }
        return nil
    }

    /// The event as this subscriber gets it: itself, its moved delete, or `nil`.
    public func view(of change: Change) -> Change? {
        switch delivery(of: change) {
        case .event: change
        case .moved: change.movedView
        case nil: nil
        }
    }
}
