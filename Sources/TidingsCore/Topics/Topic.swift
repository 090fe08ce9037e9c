/// A concrete event address such as `customers/42/orders`: `/`-separated, no empty segment.
///
/// Topics come from rendered ``TopicTemplate``s, publish requests and the change log; a selector
/// decides whether a subscriber receives an event by matching its topics.
public struct Topic: Hashable, Sendable, CustomStringConvertible {
    /// The topic exactly as written.
    public let description: String
    /// Its segments, in order.
    public let segments: [Substring]

    /// Parses and validates `text`.
    /// - Throws: ``TopicSyntaxError`` when the text is empty, has an empty segment, or contains a
    ///   wildcard segment (`*`, `**`), which belongs to selectors only.
    public init(validating text: String) throws(TopicSyntaxError) {
        guard !text.isEmpty else { throw TopicSyntaxError(text: text, reason: "a topic cannot be empty") }
        let segments = text.split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            if segment.isEmpty {
                throw TopicSyntaxError(text: text, reason: "empty segment (leading, trailing or doubled '/')")
            }
            if segment == "*" || segment == "**" {
                throw TopicSyntaxError(text: text, reason: "'\(segment)' is a selector wildcard, not allowed in a topic")
            }
        }
        self.description = text
        self.segments = segments
    }
}

/// Why a topic or selector was refused; its description is safe to show a client.
public struct TopicSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was refused.
    public let text: String
    /// What is wrong with it.
    public let reason: String
    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }
    public var description: String { "'\(text)': \(reason)" }
}
