extension TopicTemplate {
    /// The value whose encoding (``encodeSegmentValue(_:)``) is exactly `segment`, or nil when no
    /// value encodes to it (a `%` not followed by `25` or `2F`).
    ///
    /// `/rows` uses it to turn a selector's literal segment into the column value it stands for.
    public static func decodeSegmentValue(_ segment: String) -> String? {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return segment }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.utf8.count)
        var rest = segment.utf8[...]
        while let byte = rest.first {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                rest = rest.dropFirst()
                continue
            }
            let escape = Array(rest.prefix(3))
            if escape == Array("%25".utf8) {
                bytes.append(UInt8(ascii: "%"))
            } else if escape == Array("%2F".utf8) {
                bytes.append(UInt8(ascii: "/"))
            } else {
                return nil
            }
            rest = rest.dropFirst(3)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
