package import TidingsCore

/// One mismatch between the config and the database catalog, e.g. a template naming a column
/// the table does not have.
///
/// Its description is `FILE:LINE: message`, the form `tidings check` prints for every error.
package struct SchemaProblem: Sendable, Equatable, CustomStringConvertible {
    /// The config file the entry came from.
    package var file: String
    /// The line of the `- table:` entry (``TableCapture/line``).
    package var line: Int
    package var table: TableName
    /// What is wrong and how to fix it, without the `FILE:LINE:` prefix.
    package var message: String

    package init(file: String, line: Int, table: TableName, message: String) {
        self.file = file
        self.line = line
        self.table = table
        self.message = message
    }

    package var description: String { "\(file):\(line): \(message)" }
}
