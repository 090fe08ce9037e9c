extension Selector {
    /// Whether every topic this selector matches is also matched by `other`.
    ///
    /// Used once per subscription: when a grant covers a request, events need no per-event
    /// visibility check.
    public func isCovered(by other: Selector) -> Bool {
        Self.covered(segments[...], by: other.segments[...])
    }

    private static func covered(_ inner: ArraySlice<Segment>, by outer: ArraySlice<Segment>) -> Bool {
        guard let wide = outer.first else { return inner.isEmpty }
        if wide == .rest { return true }
        guard let narrow = inner.first else { return false }
        switch (narrow, wide) {
        case (.rest, _):
            return false
        case (.any, .literal):
            return false
        case (.literal(let a), .literal(let b)) where a != b:
            return false
        default:
            return covered(inner.dropFirst(), by: outer.dropFirst())
        }
    }
}
