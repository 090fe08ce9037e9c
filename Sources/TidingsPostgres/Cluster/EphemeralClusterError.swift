/// Why a throwaway PostgreSQL cluster could not be found, created, started or stopped.
///
/// The message says what to install or look at (the failing command's output, or the path of
/// the server log).
package struct EphemeralClusterError: Error, Sendable, CustomStringConvertible {
    /// The kind of refusal, for callers that branch on it.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case postgresNotInstalled, noServerUser, temporaryDirectory, noFreePort, commandFailed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// PostgreSQL's server programs are not on `PATH` nor under `/usr/lib/postgresql`.
        package static let postgresNotInstalled = Self(.postgresNotInstalled)
        /// We are root and there is no `postgres` user to run the server as.
        package static let noServerUser = Self(.noServerUser)
        /// The cluster directory under /tmp cannot be created or handed to the server user.
        package static let temporaryDirectory = Self(.temporaryDirectory)
        /// No loopback port could be found to listen on.
        package static let noFreePort = Self(.noFreePort)
        /// `initdb` or `pg_ctl` failed; the message holds its output.
        package static let commandFailed = Self(.commandFailed)

        package var description: String { base.rawValue }
    }

    package let code: Code
    /// What failed and what to do about it.
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
