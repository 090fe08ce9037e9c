import TidingsCore

/// Quoting for the SQL the migrator generates. Every name and literal from the config goes
/// through here, so a config value can never change the shape of a statement.
package enum SQLText {
    /// `"name"`, with embedded quotes doubled.
    package static func identifier(_ name: String) -> String {
        "\"" + name.replacingAll("\"", with: "\"\"") + "\""
    }

    /// `"schema"."name"`.
    package static func qualified(_ table: TableName) -> String {
        identifier(table.schema) + "." + identifier(table.name)
    }

    /// A string literal that means the same whatever `standard_conforming_strings` is.
    package static func literal(_ text: String) -> String {
        let quoted = text.replacingAll("'", with: "''")
        guard quoted.contains("\\") else { return "'" + quoted + "'" }
        return "E'" + quoted.replacingAll("\\", with: "\\\\") + "'"
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        guard contains(target) else { return self }
        var result = ""
        result.reserveCapacity(count + 2)
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
