import TidingsCore

/// One mismatch between the config and the database catalog, e.g. a template naming a column
/// the table does not have.
///
/// Its description is `FILE:LINE: message`, the form `tidings check` prints for every error.
public struct SchemaProblem: Sendable, Equatable, CustomStringConvertible {
    /// The config file the entry came from.
    public var file: String
    /// The line of the `- table:` entry (``TableCapture/line``).
    public var line: Int
    public var table: TableName
    /// What is wrong and how to fix it, without the `FILE:LINE:` prefix.
    public var message: String

    public init(file: String, line: Int, table: TableName, message: String) {
        self.file = file
        self.line = line
        self.table = table
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}
