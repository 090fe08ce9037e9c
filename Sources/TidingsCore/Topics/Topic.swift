/// A concrete event address such as `customers/42/orders`: `/`-separated, no empty segment.
///
/// Topics come from rendered ``TopicTemplate``s, publish requests and the change log; a selector
/// decides whether a subscriber receives an event by matching its topics. Two topics are equal
/// when their UTF-8 bytes are (SPEC §4), never by Unicode canonical equivalence.
public struct Topic: Hashable, Sendable, CustomStringConvertible {
    /// The topic exactly as written.
    public let description: String
    /// Its segments, in order.
    public let segments: [TopicSegment]

    /// Parses and validates `text` as a client sends it.
    /// - Throws: ``TopicSyntaxError`` when the text is empty, has an empty segment, contains a
    ///   wildcard segment (`*`, `**`), which belongs to selectors only, or a control character.
    public init(validating text: String) throws(TopicSyntaxError) {
        if let control = TopicSegment.firstControlCharacter(in: text) {
            throw TopicSyntaxError(.topic, text: text, reason: Self.controlCharacterReason(control))
        }
        try self.init(logged: text)
    }

    /// Parses a topic read back from the change log, where capture may have written a row's
    /// control characters: only the shape is checked.
    /// - Throws: ``TopicSyntaxError`` when the text is empty, has an empty segment or a wildcard.
    public init(logged text: String) throws(TopicSyntaxError) {
        guard !text.isEmpty else { throw TopicSyntaxError(.topic, text: text, reason: "a topic cannot be empty") }
        let segments = TopicSegment.split(text)
        for segment in segments {
            if segment.text.utf8.isEmpty {
                throw TopicSyntaxError(.topic, text: text, reason: "empty segment (leading, trailing or doubled '/')")
            }
            if segment.isExactly("*") || segment.isExactly("**") {
                throw TopicSyntaxError(.topic, text: text, reason: "'\(segment)' is a selector wildcard, not allowed in a topic")
            }
        }
        self.description = text
        self.segments = segments
    }

    public static func == (lhs: Topic, rhs: Topic) -> Bool {
        lhs.description.utf8.elementsEqual(rhs.description.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(segments)
    }

    static func controlCharacterReason(_ scalar: Unicode.Scalar) -> String {
        let code = String(scalar.value, radix: 16, uppercase: true)
        return "contains the control character U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code), which topics may not"
    }
}

/// Why a topic, selector or topic template was refused: a code and a reason; its description is
/// safe to show a client.
public struct TopicSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of text was refused.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case topic, selector, template
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A topic (`chat/42`).
        public static let topic = Self(.topic)
        /// A selector (`chat/*`, `chat/**`).
        public static let selector = Self(.selector)
        /// A topic template of the config (`todos/{id}`).
        public static let template = Self(.template)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The text that was refused.
    public let text: String
    /// What is wrong with it.
    public let reason: String

    package init(_ code: Code, text: String, reason: String) {
        self.code = code
        self.text = text
        self.reason = reason
    }
    public var description: String { "'\(Self.escaped(text))': \(reason)" }

    /// The text with control characters written as `\u{…}`, so an error never carries them raw.
    private static func escaped(_ text: String) -> String {
        guard TopicSegment.firstControlCharacter(in: text) != nil else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
