/// Why a statement on the change log did not give what it promises, when PostgreSQL itself
/// raised no error. Its description is safe to show a client.
package struct ChangeLogError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, to branch on.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case publishedIDUnread
            case captureUnavailable
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A publish committed, but reading the id it was given returned nothing.
        package static let publishedIDUnread = Self(.publishedIDUnread)
        /// `capture.mode: logical` and no gateway streams the slot: nothing was published.
        package static let captureUnavailable = Self(.captureUnavailable)

        package var description: String { base.rawValue }
    }

    package let code: Code
    /// What happened, without any value from the request.
    package let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
