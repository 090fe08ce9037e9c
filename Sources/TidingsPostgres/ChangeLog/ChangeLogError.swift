/// Why a statement on the change log did not give what it promises, when PostgreSQL itself
/// raised no error. Its description is safe to show a client.
public struct ChangeLogError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, to branch on.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case publishedIDUnread
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A publish committed, but reading the id it was given returned nothing.
        public static let publishedIDUnread = Self(.publishedIDUnread)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// What happened, without any value from the request.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
