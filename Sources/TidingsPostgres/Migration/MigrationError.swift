/// Why `tidings migrate` (or `check --database`) failed. Nothing was changed in the database.
///
/// Its description is meant for the operator: it names the migration file and statement, or the
/// config line, and carries the server's message. It never contains a password.
package struct MigrationError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, for callers that map it to an exit code.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionFailed, migrationFilesUnreadable, migrationFailed, schemaMismatch, captureFailed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached or refused the login.
        package static let connectionFailed = Self(.connectionFailed)
        /// The bundled (or given) migration files could not be found or read.
        package static let migrationFilesUnreadable = Self(.migrationFilesUnreadable)
        /// A statement of a migration file failed; the whole run was rolled back.
        package static let migrationFailed = Self(.migrationFailed)
        /// The config names tables or columns the database does not have; see ``MigrationError/problems``.
        package static let schemaMismatch = Self(.schemaMismatch)
        /// Installing or removing a capture trigger failed; the whole run was rolled back.
        package static let captureFailed = Self(.captureFailed)

        package var description: String { base.rawValue }
    }

    package let code: Code
    /// The full message, e.g. `Migrations/0002_x.sql, statement 3 (line 12): syntax error at or near "TABL" (SQLSTATE 42601)`.
    package let message: String
    /// Every config-versus-catalog problem found, for ``Code/schemaMismatch``.
    package let problems: [SchemaProblem]

    package init(_ code: Code, _ message: String, problems: [SchemaProblem] = []) {
        self.code = code
        self.message = message
        self.problems = problems
    }

    package var description: String { message }
}
