import TidingsCore

/// A trie over selector segments that finds, for a topic, every entry whose selector matches it,
/// without looking at the others.
///
/// Literal segments are dictionary children keyed by their bytes (``TopicSegment``); `*` and `**` have their own child and bucket. A
/// lookup walks at most a few branches per segment, so its cost grows with the topic's length
/// and the number of matches, not with the number of subscribers.
///
/// Not thread-safe: ``Hub`` keeps it behind its lock.
struct TopicIndex<Value> {
    private final class Node {
        var literals: [TopicSegment: Node] = [:]
        var any: Node?
        /// Entries whose selector ends here with `**`: they match this prefix and anything below.
        var rest: [Int: Value] = [:]
        /// Entries whose selector ends exactly here.
        var exact: [Int: Value] = [:]
        var isEmpty: Bool { literals.isEmpty && any == nil && rest.isEmpty && exact.isEmpty }
    }

    private let root = Node()

    /// Adds `value` under `key` for `selector`; the same key may be added for several selectors.
    mutating func insert(_ selector: Selector, key: Int, value: Value) {
        var node = root
        for segment in selector.segments {
            switch segment {
            case .literal(let text):
                if let child = node.literals[text] {
                    node = child
                } else {
                    let child = Node()
                    node.literals[text] = child
                    node = child
                }
            case .any:
                if let child = node.any {
                    node = child
                } else {
                    let child = Node()
                    node.any = child
                    node = child
                }
            case .rest:
                node.rest[key] = value
                return
            }
        }
        node.exact[key] = value
    }

    /// Removes what ``insert(_:key:value:)`` added for `selector` and `key`, pruning empty nodes.
    mutating func remove(_ selector: Selector, key: Int) {
        Self.remove(selector.segments[...], key: key, from: root)
    }

    private static func remove(_ segments: ArraySlice<Selector.Segment>, key: Int, from node: Node) {
        guard let segment = segments.first else {
            node.exact[key] = nil
            return
        }
        switch segment {
        case .rest:
            node.rest[key] = nil
        case .any:
            guard let child = node.any else { return }
            remove(segments.dropFirst(), key: key, from: child)
            if child.isEmpty { node.any = nil }
        case .literal(let text):
            guard let child = node.literals[text] else { return }
            remove(segments.dropFirst(), key: key, from: child)
            if child.isEmpty { node.literals[text] = nil }
        }
    }

    /// Calls `body` for every entry whose selector matches `topic`. An entry added under several
    /// matching selectors is reported once per selector: callers deduplicate.
    func forEachMatch(_ topic: Topic, _ body: (Int, Value) -> Void) {
        Self.visit(root, topic.segments[...], body)
    }

    private static func visit(_ node: Node, _ segments: ArraySlice<TopicSegment>, _ body: (Int, Value) -> Void) {
        for (key, value) in node.rest { body(key, value) }
        guard let segment = segments.first else {
            for (key, value) in node.exact { body(key, value) }
            return
        }
        let remaining = segments.dropFirst()
        if let child = node.literals[segment] { visit(child, remaining, body) }
        if let child = node.any { visit(child, remaining, body) }
    }

    var isEmpty: Bool { root.isEmpty }
}
