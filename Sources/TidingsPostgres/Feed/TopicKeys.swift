package import TidingsCore

/// The topic keys a set of selectors looks up in the change log's GIN index
/// (`tidings.topic_keys`, see `Migrations/0002_topic_index_and_retention.sql`).
///
/// The keys find a superset of the matching events; callers still match each event's topics
/// against the selectors. `nil` means some selector has no literal prefix (`**`, `*/x`): the
/// read then walks the log by id, which is what the planner would choose anyway.
package enum TopicKeys {
    package static func keys(for selectors: [Selector]) -> [String]? {
        // Keyed by bytes: `Set<String>` would merge canonically equivalent keys that PostgreSQL
        // keeps apart.
        var keys: [[UInt8]: String] = [:]
        for selector in selectors {
            var prefix: [Substring] = []
            var wildcard: Selector.Segment?
            for segment in selector.segments {
                guard case .literal(let literal) = segment else {
                    wildcard = segment
                    break
                }
                prefix.append(literal.text)
            }
            guard !prefix.isEmpty else { return nil }
            let literal = prefix.joined(separator: "/")
            switch wildcard {
            case nil:
                keys[Array(literal.utf8)] = literal
            case .rest where prefix.count == selector.segments.count - 1:
                keys[Array(literal.utf8)] = literal
                keys[Array((literal + "/**").utf8)] = literal + "/**"
            default:
                keys[Array((literal + "/**").utf8)] = literal + "/**"
            }
        }
        return keys.keys.sorted { $0.lexicographicallyPrecedes($1) }.compactMap { keys[$0] }
    }
}
