/// One statement the logical capturer runs on the log, on its own libpq connection rather than
/// through postgres-nio: the text and its parameters in PostgreSQL's text format. ``ChangeLog``
/// builds every such statement, so the capturer only executes what the log's home gives it.
package struct CapturerStatement: Equatable, Sendable {
    /// The statement's text, with `$n` placeholders.
    package var sql: String
    /// The parameters, as text (`nil` for NULL).
    package var parameters: [String?]
    /// Whether the statement runs once per batch, so is worth preparing once per connection.
    package var prepared: Bool

    package init(_ sql: String, _ parameters: [String?] = [], prepared: Bool = false) {
        self.sql = sql
        self.parameters = parameters
        self.prepared = prepared
    }
}
