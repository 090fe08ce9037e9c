/// One segment of a topic, or a literal segment of a selector, compared and hashed by its UTF-8
/// bytes.
///
/// Swift compares `String` by canonical equivalence, so `é` and `e` + U+0301 would be one
/// segment; PostgreSQL compares text by bytes and sees two (SPEC §4). Every topic comparison in
/// the gateway goes through this type so that both sides agree on what a topic is.
public struct TopicSegment: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The segment's text; its bytes are what count.
    public let text: Substring

    public init(_ text: Substring) {
        self.text = text
    }

    public init(stringLiteral value: String) {
        self.text = Substring(value)
    }

    public var description: String { String(text) }

    public static func == (lhs: TopicSegment, rhs: TopicSegment) -> Bool {
        lhs.text.utf8.elementsEqual(rhs.text.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            for byte in text.utf8 { hasher.combine(byte) }
        }
        hasher.combine(0xFF as UInt8)
    }

    /// Whether the segment is exactly the bytes of `literal`.
    public func isExactly(_ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { text.utf8.elementsEqual($0) }
    }

    /// Splits `text` at every `/` byte (0x2F), as PostgreSQL's `string_to_array(text, '/')` does,
    /// keeping empty segments. A `/` followed by a combining mark still splits: Swift's
    /// `Character`-based `split` would glue the two into one grapheme and miss the separator.
    public static func split(_ text: String) -> [TopicSegment] {
        var segments: [TopicSegment] = []
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var index = start
        while index < scalars.endIndex {
            if scalars[index] == "/" {
                segments.append(TopicSegment(Substring(scalars[start..<index])))
                start = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        segments.append(TopicSegment(Substring(scalars[start..<scalars.endIndex])))
        return segments
    }

    /// The first control character (U+0000–U+001F, U+007F–U+009F) in `text`, if any: refused in
    /// topics and selectors a client sends.
    public static func firstControlCharacter(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }
}
