/// A topic with `{column}` placeholders, e.g. `customers/{customer_id}/orders`, filled from a row
/// (in SQL, by the capture trigger) or from a channel's JSON payload (in the gateway).
///
/// A placeholder fills one segment's part; its value is percent-encoded for `%` and `/` so that
/// it can never add a segment.
public struct TopicTemplate: Hashable, Sendable, CustomStringConvertible {
    /// A run of literal text or a placeholder.
    public enum Part: Hashable, Sendable {
        case literal(String)
        case column(String)
    }

    /// The template exactly as written.
    public let description: String
    public let parts: [Part]

    /// The columns the template names, in order of first use.
    public var columns: [String] {
        var seen: [String] = []
        for case .column(let name) in parts where !seen.contains(name) { seen.append(name) }
        return seen
    }

    /// Parses `text`.
    /// - Throws: ``TopicSyntaxError`` for unbalanced braces, an empty or invalid placeholder
    ///   name, wildcards, or empty segments.
    public init(parsing text: String) throws(TopicSyntaxError) {
        guard !text.isEmpty else { throw TopicSyntaxError(.template, text: text, reason: "a topic template cannot be empty") }
        var parts: [Part] = []
        var literal = ""
        // Scalars, not Characters: a brace or `/` followed by a combining mark is still itself,
        // as it is to PostgreSQL.
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar == "{" {
                guard let close = scalars[index...].firstIndex(of: "}") else {
                    throw TopicSyntaxError(.template, text: text, reason: "'{' without a closing '}'")
                }
                let name = String(String.UnicodeScalarView(scalars[scalars.index(after: index)..<close]))
                guard Self.isColumnName(name) else {
                    throw TopicSyntaxError(
                        .template,
                        text: text,
                        reason: "'{\(name)}' is not a column name (letters, digits and '_', not starting with a digit)"
                    )
                }
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(.column(name))
                index = scalars.index(after: close)
            } else if scalar == "}" {
                throw TopicSyntaxError(.template, text: text, reason: "'}' without an opening '{'")
            } else {
                literal.unicodeScalars.append(scalar)
                index = scalars.index(after: index)
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        // The shape must be a valid topic with placeholders standing for non-empty text.
        let shape = parts.map { part -> String in
            switch part {
            case .literal(let text): text
            case .column: "x"
            }
        }.joined()
        do {
            _ = try Topic(validating: shape)
        } catch {
            throw TopicSyntaxError(.template, text: text, reason: error.reason)
        }
        self.description = text
        self.parts = parts
    }

    public static func == (lhs: TopicTemplate, rhs: TopicTemplate) -> Bool {
        lhs.description.utf8.elementsEqual(rhs.description.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(Array(description.utf8))
    }

    /// Renders the topic from `value(column)`; `nil` when a named value is missing or empty.
    public func render(_ value: (String) -> String?) -> String? {
        var result = String.UnicodeScalarView()
        for part in parts {
            switch part {
            case .literal(let text):
                result.append(contentsOf: text.unicodeScalars)
            case .column(let name):
                guard let raw = value(name), !raw.isEmpty else { return nil }
                result.append(contentsOf: Self.encodeSegmentValue(raw).unicodeScalars)
            }
        }
        return String(result)
    }

    /// Percent-encodes `%` and `/`, the two characters that would change a topic's shape.
    public static func encodeSegmentValue(_ raw: String) -> String {
        guard raw.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "/") }) else { return raw }
        // By scalar: a `/` followed by a combining mark is one Character but still a separator
        // to PostgreSQL, so it must be encoded exactly as the capture's `replace()` does.
        var encoded = String.UnicodeScalarView()
        for scalar in raw.unicodeScalars {
            switch scalar {
            case "%": encoded.append(contentsOf: "%25".unicodeScalars)
            case "/": encoded.append(contentsOf: "%2F".unicodeScalars)
            default: encoded.append(scalar)
            }
        }
        return String(encoded)
    }

    /// Whether `name` can stand in a placeholder: an SQL-safe identifier.
    public static func isColumnName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 63 else { return false }
        guard first == "_" || (first.properties.isAlphabetic && first.isASCII) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
