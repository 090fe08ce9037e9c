/// A pattern over topics: each segment is a literal, `*` (exactly one segment) or, last only,
/// `**` (zero or more segments).
///
/// Subscribers request selectors and tokens grant them; ``matches(_:)`` decides delivery and
/// ``overlaps(_:)`` decides, before a stream starts, whether a request can ever see anything.
/// Literal segments compare by UTF-8 bytes, as PostgreSQL compares text (SPEC §4).
public struct Selector: Hashable, Sendable, CustomStringConvertible {
    /// One segment of a selector.
    public enum Segment: Hashable, Sendable {
        case literal(TopicSegment)
        /// `*`: any one segment.
        case any
        /// `**`: any number of segments, including none; always last.
        case rest
    }

    /// The selector exactly as written.
    public let description: String
    public let segments: [Segment]

    /// Parses and validates `text`.
    /// - Throws: ``TopicSyntaxError`` for an empty selector, an empty segment, `**` anywhere but
    ///   last, a segment that mixes a wildcard with other characters (`a*`), or a control
    ///   character.
    public init(parsing text: String) throws(TopicSyntaxError) {
        guard !text.isEmpty else { throw TopicSyntaxError(.selector, text: text, reason: "a selector cannot be empty") }
        if let control = TopicSegment.firstControlCharacter(in: text) {
            throw TopicSyntaxError(.selector, text: text, reason: Topic.controlCharacterReason(control))
        }
        let parts = TopicSegment.split(text)
        var segments: [Segment] = []
        segments.reserveCapacity(parts.count)
        for (index, part) in parts.enumerated() {
            if part.text.utf8.isEmpty {
                throw TopicSyntaxError(.selector, text: text, reason: "empty segment (leading, trailing or doubled '/')")
            } else if part.isExactly("*") {
                segments.append(.any)
            } else if part.isExactly("**") {
                guard index == parts.count - 1 else {
                    throw TopicSyntaxError(.selector, text: text, reason: "'**' may only be the last segment")
                }
                segments.append(.rest)
            } else if part.text.utf8.contains(UInt8(ascii: "*")) {
                throw TopicSyntaxError(.selector, text: text, reason: "'*' must be a whole segment ('\(part)')")
            } else {
                segments.append(.literal(part))
            }
        }
        self.description = text
        self.segments = segments
    }

    public static func == (lhs: Selector, rhs: Selector) -> Bool {
        lhs.description.utf8.elementsEqual(rhs.description.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(segments)
    }

    /// Whether `topic` is one of the topics this selector names.
    public func matches(_ topic: Topic) -> Bool {
        Self.matches(segments[...], topic.segments[...])
    }

    private static func matches(_ pattern: ArraySlice<Segment>, _ topic: ArraySlice<TopicSegment>) -> Bool {
        var topicIndex = topic.startIndex
        for segment in pattern {
            switch segment {
            case .rest:
                return true
            case .any:
                guard topicIndex < topic.endIndex else { return false }
            case .literal(let literal):
                guard topicIndex < topic.endIndex, topic[topicIndex] == literal else { return false }
            }
            topicIndex += 1
        }
        return topicIndex == topic.endIndex
    }

    /// Whether some topic matches both this selector and `other`.
    ///
    /// Decided segment by segment, not by sampling: `orders/*` overlaps `orders/42` and `**`, but
    /// not `customers/**`.
    public func overlaps(_ other: Selector) -> Bool {
        Self.overlaps(segments[...], other.segments[...])
    }

    private static func overlaps(_ lhs: ArraySlice<Segment>, _ rhs: ArraySlice<Segment>) -> Bool {
        guard let left = lhs.first else { return rhs.isEmpty || rhs.first == .rest }
        guard let right = rhs.first else { return left == .rest }
        if left == .rest || right == .rest { return true }
        switch (left, right) {
        case (.literal(let a), .literal(let b)) where a != b:
            return false
        default:
            return overlaps(lhs.dropFirst(), rhs.dropFirst())
        }
    }
}
