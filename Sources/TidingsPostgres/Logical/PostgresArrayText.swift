/// Reads PostgreSQL's text form of a one-dimensional `text[]` (`{a,"b c",NULL}`).
enum PostgresArrayText {
    static func parse(_ text: String) -> [String?] {
        var values: [String?] = []
        var scalars = Array(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { return [] }
        scalars = Array(scalars.dropFirst().dropLast())
        var index = 0
        while index < scalars.count {
            var value = ""
            var quoted = false
            if scalars[index] == "\"" {
                quoted = true
                index += 1
                while index < scalars.count, scalars[index] != "\"" {
                    if scalars[index] == "\\" { index += 1 }
                    if index < scalars.count { value.unicodeScalars.append(scalars[index]) }
                    index += 1
                }
                index += 1
            } else {
                while index < scalars.count, scalars[index] != "," {
                    value.unicodeScalars.append(scalars[index])
                    index += 1
                }
            }
            values.append(!quoted && value == "NULL" ? nil : value)
            index += 1
        }
        return values
    }
}
