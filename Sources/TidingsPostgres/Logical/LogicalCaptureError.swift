/// Why logical capture stopped or cannot start. Its description is safe to show an operator: it
/// names what is wrong and how to fix it, and never carries a password.
package struct LogicalCaptureError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case connectionFailed, replicationRefused, protocolViolation, logWriteFailed, unsafeTable
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server could not be reached, refused the login or went away.
        package static let connectionFailed = Self(.connectionFailed)
        /// The server refused to stream the slot (no slot, `wal_level` not `logical`, no REPLICATION right).
        package static let replicationRefused = Self(.replicationRefused)
        /// The stream sent bytes that are not the protocol.
        package static let protocolViolation = Self(.protocolViolation)
        /// Writing events into the log failed; the slot was not confirmed past them.
        package static let logWriteFailed = Self(.logWriteFailed)
        /// A table's values cannot be converted safely with the gateway's rights.
        package static let unsafeTable = Self(.unsafeTable)

        package var description: String { base.rawValue }
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
