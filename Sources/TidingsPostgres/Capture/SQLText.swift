package import TidingsCore

/// Quoting for the SQL the migrator generates. Every name and literal from the config or the
/// catalog goes through here, so no value can change the shape of a statement.
///
/// Quotes are doubled by Unicode scalar, never by `Character`: a quote followed by a combining
/// mark (`'\u{301}`) or preceded by a prepended mark (`\u{600}'`) is one grapheme cluster in Swift
/// but a plain `'` byte to PostgreSQL, so comparing clusters would leave it undoubled.
package enum SQLText {
    /// `"name"`, with embedded quotes doubled.
    package static func identifier(_ name: String) -> String {
        "\"" + doubling("\"", in: name) + "\""
    }

    /// `"schema"."name"`.
    package static func qualified(_ table: TableName) -> String {
        identifier(table.schema) + "." + identifier(table.name)
    }

    /// A string literal that means the same whatever `standard_conforming_strings` is.
    package static func literal(_ text: String) -> String {
        let quoted = doubling("'", in: text)
        guard quoted.unicodeScalars.contains("\\") else { return "'" + quoted + "'" }
        return "E'" + doubling("\\", in: quoted) + "'"
    }

    private static func doubling(_ target: Unicode.Scalar, in text: String) -> String {
        guard text.unicodeScalars.contains(target) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append(scalar)
            if scalar == target { scalars.append(scalar) }
        }
        return String(scalars)
    }
}
