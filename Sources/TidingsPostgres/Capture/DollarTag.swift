/// The dollar-quote tag of a generated function body: one whose bytes the body does not contain.
///
/// Searched by bytes: PostgreSQL ends a dollar-quoted body at the tag's bytes, even where Swift
/// would see them as part of a larger grapheme cluster (`$tidings$` followed by a combining mark).
package enum DollarTag {
    package static func choose(for body: String) -> String {
        let bytes = Array(body.utf8)
        var tag = "$tidings$"
        while contains(bytes, Array(tag.utf8)) { tag = "$tidings_" + String(tag.utf8.count) + "$" }
        return tag
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}
