import NIOCore

/// Writes JSON string literals by hand, for bodies that embed the log's JSON without decoding it.
enum JSONText {
    /// Writes `text` as a JSON string, quotes included, escaping what RFC 8259 requires.
    static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": buffer.writeStaticString("\\\"")
            case "\\": buffer.writeStaticString("\\\\")
            case "\n": buffer.writeStaticString("\\n")
            case "\r": buffer.writeStaticString("\\r")
            case "\t": buffer.writeStaticString("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                buffer.writeString("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default:
                buffer.writeString(String(scalar))
            }
        }
        buffer.writeStaticString("\"")
    }
}
