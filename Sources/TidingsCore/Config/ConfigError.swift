/// One thing wrong with a config file, located well enough to fix without searching.
///
/// `tidings check` and `tidings serve` print it as one line,
/// `FILE:LINE:COLUMN: KEY: MESSAGE — FIX`, the shape editors and CI annotate. `line` and `column`
/// count from 1; they are 0 only when the file could not be read at all, and the description then
/// leaves them out. `key` is the dotted path of the value (`topics[1].table`, lists count from 0),
/// empty for a YAML syntax error. The message never repeats a secret or a password.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The config file as it was named to the loader.
    public var file: String
    public var line: Int
    public var column: Int
    /// The dotted path of the offending key, e.g. `auth.jwt.secret` or `topics[0].events[2]`.
    public var key: String
    /// What is wrong.
    public var message: String
    /// What to write instead.
    public var fix: String

    public init(file: String, line: Int, column: Int, key: String, message: String, fix: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
        self.fix = fix
    }

    public var description: String {
        var text = line > 0 ? "\(file):\(line):\(column): " : "\(file): "
        if !key.isEmpty { text += "\(key): " }
        text += message
        if !fix.isEmpty { text += " — \(fix)" }
        return text
    }
}

/// Every error found in a config file, in file order.
///
/// The loader reports all problems at once, so that one run of `tidings check` lists everything
/// to fix. Never empty when thrown.
public struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
