import TidingsCore

/// One `/`-separated segment of a topic template, as ``RowsPredicate`` matches it.
enum TemplateSegment: Equatable {
    /// Fixed text: every row's topic has it.
    case literal(String)
    /// Exactly one `{column}`: the segment is the column's encoded value.
    case column(String)
    /// Text and columns together (`user-{id}`, `{a}{b}`).
    case mixed([TopicTemplate.Part])

    /// The segments of `template`, in order.
    static func split(_ template: TopicTemplate) -> [TemplateSegment] {
        var segments: [[TopicTemplate.Part]] = [[]]
        for part in template.parts {
            switch part {
            case .column:
                segments[segments.count - 1].append(part)
            case .literal(let text):
                let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
                for (index, piece) in pieces.enumerated() {
                    if index > 0 { segments.append([]) }
                    if !piece.isEmpty { segments[segments.count - 1].append(.literal(String(piece))) }
                }
            }
        }
        return segments.map { parts in
            if parts.count == 1, case .column(let name) = parts[0] { return .column(name) }
            if parts.count == 1, case .literal(let text) = parts[0] { return .literal(text) }
            return .mixed(parts)
        }
    }
}
