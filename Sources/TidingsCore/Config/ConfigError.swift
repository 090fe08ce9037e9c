/// One thing wrong with a config file, located well enough to fix without searching.
///
/// `tidings check` and `tidings serve` print it as one line,
/// `FILE:LINE:COLUMN: KEY: MESSAGE — FIX`, the shape editors and CI annotate. `line` and `column`
/// count from 1; they are 0 only when the file could not be read at all, and the description then
/// leaves them out. `key` is the dotted path of the value (`topics[1].table`, lists count from 0),
/// empty for a YAML syntax error. ``code`` says what kind of mistake it is, for callers and tests
/// that branch on it; the message never repeats a secret or a password.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of mistake, stable across wording changes of the message.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case fileUnreadable, invalidYAML, emptyFile, wrongShape, unknownKey, missingKey, conflictingKeys
            case invalidValue, environmentVariable, internalError
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file does not exist, is a directory, cannot be read, or is not UTF-8.
        package static let fileUnreadable = Self(.fileUnreadable)
        /// The text is not YAML, or a mapping repeats a key.
        package static let invalidYAML = Self(.invalidYAML)
        /// The file holds no document (nothing, or comments only).
        package static let emptyFile = Self(.emptyFile)
        /// A mapping, list or single value stands where another of them is expected.
        package static let wrongShape = Self(.wrongShape)
        /// A key the section does not have (the fix suggests the nearest known one).
        package static let unknownKey = Self(.unknownKey)
        /// A required key is absent or has no value.
        package static let missingKey = Self(.missingKey)
        /// Keys that exclude each other are both set, or a key is set where it does not apply.
        package static let conflictingKeys = Self(.conflictingKeys)
        /// A value the key does not accept: its syntax, its range, or a repeated list item.
        package static let invalidValue = Self(.invalidValue)
        /// A `${NAME}` reference is malformed or names an unset environment variable.
        package static let environmentVariable = Self(.environmentVariable)
        /// The loader could not build a configuration and found nothing to blame: a Tidings bug.
        package static let internalError = Self(.internalError)

        package var description: String { base.rawValue }
    }

    package var code: Code
    /// The config file as it was named to the loader.
    package var file: String
    package var line: Int
    package var column: Int
    /// The dotted path of the offending key, e.g. `auth.jwt.secret` or `topics[0].events[2]`.
    package var key: String
    /// What is wrong.
    package var message: String
    /// What to write instead.
    package var fix: String

    package init(_ code: Code, file: String, line: Int, column: Int, key: String, message: String, fix: String) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
        self.fix = fix
    }

    package var description: String {
        var text = line > 0 ? "\(file):\(line):\(column): " : "\(file): "
        if !key.isEmpty { text += "\(key): " }
        text += message
        if !fix.isEmpty { text += " — \(fix)" }
        return text
    }
}
