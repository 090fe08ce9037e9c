/// Why `tidings migrate` (or `check --database`) failed. Nothing was changed in the database.
///
/// Its description is meant for the operator: it names the migration file and statement, or the
/// config line, and carries the server's message. It never contains a password.
public struct MigrationError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, for callers that map it to an exit code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionFailed, migrationFilesUnreadable, migrationFailed, schemaMismatch, captureFailed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached or refused the login.
        public static let connectionFailed = Self(.connectionFailed)
        /// The bundled (or given) migration files could not be found or read.
        public static let migrationFilesUnreadable = Self(.migrationFilesUnreadable)
        /// A statement of a migration file failed; the whole run was rolled back.
        public static let migrationFailed = Self(.migrationFailed)
        /// The config names tables or columns the database does not have; see ``MigrationError/problems``.
        public static let schemaMismatch = Self(.schemaMismatch)
        /// Installing or removing a capture trigger failed; the whole run was rolled back.
        public static let captureFailed = Self(.captureFailed)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// The full message, e.g. `Migrations/0002_x.sql, statement 3 (line 12): syntax error at or near "TABL" (SQLSTATE 42601)`.
    public let message: String
    /// Every config-versus-catalog problem found, for ``Code/schemaMismatch``.
    public let problems: [SchemaProblem]

    package init(_ code: Code, _ message: String, problems: [SchemaProblem] = []) {
        self.code = code
        self.message = message
        self.problems = problems
    }

    public var description: String { message }
}
