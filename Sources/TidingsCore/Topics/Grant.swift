/// What one subscriber may receive and what it asked for, decided once when its stream opens.
///
/// An event is delivered when any of its topics matches a granted selector (it is visible) and
/// any of its topics matches a requested selector (docs/protocol.md, "Topics, selectors and grants").
public struct Grant: Sendable {
    /// The token's `subscribe` selectors plus the public ones.
    public let granted: [Selector]
    /// What the request names.
    public let requested: [Selector]
    /// True when a granted selector covers every requested one, so delivery needs only the
    /// request match.
    public let requestIsCovered: Bool

    public init(granted: [Selector], requested: [Selector]) {
        self.granted = granted
        self.requested = requested
        self.requestIsCovered = requested.allSatisfy { request in granted.contains { request.isCovered(by: $0) } }
    }

    /// The requested selectors that can match no granted topic; a non-empty result refuses the
    /// whole request.
    public var refusedSelectors: [Selector] {
        requested.filter { request in !granted.contains { request.overlaps($0) } }
    }

    /// Whether some topic of the event is visible under the grant.
    public func isVisible(_ topics: [Topic]) -> Bool {
        if requestIsCovered { return true }
        return topics.contains { topic in granted.contains { $0.matches(topic) } }
    }

    /// Whether the event is both visible and requested.
    public func delivers(_ topics: [Topic]) -> Bool {
        isVisible(topics) && topics.contains { topic in requested.contains { $0.matches(topic) } }
    }
}
