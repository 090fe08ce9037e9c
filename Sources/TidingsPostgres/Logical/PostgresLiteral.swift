/// PostgreSQL's text forms of a record and of a `text[]`, for handing values back to the server
/// as parameters: each value is quoted, so its bytes reach the type's input function unchanged.
package enum PostgresLiteral {
    /// `(v1,"v 2",)`: a record whose fields are `values` in order, nil for NULL.
    package static func record(_ values: [String?]) -> String {
        var text = "("
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            if let value { quote(value, into: &text) }
        }
        return text + ")"
    }

    /// `{"a","b",NULL}`: a one-dimensional array of `values`, nil for NULL.
    package static func array(_ values: [String?]) -> String {
        var text = "{"
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            if let value { quote(value, into: &text) } else { text += "NULL" }
        }
        return text + "}"
    }

    private static func quote(_ value: String, into text: inout String) {
        text += "\""
        for character in value.unicodeScalars {
            if character == "\"" || character == "\\" { text += "\\" }
            text.unicodeScalars.append(character)
        }
        text += "\""
    }
}
