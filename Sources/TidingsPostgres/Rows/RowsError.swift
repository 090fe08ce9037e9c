/// Why a `/rows` snapshot could not be read for reasons of the request or the table, not of
/// the database's health. Its description is safe to show a client.
package struct RowsError: Error, Sendable, CustomStringConvertible {
    /// The kind of refusal.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case tableMissing, noPrimaryKey, badAfter, notReadable
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The captured table does not exist in the database (dropped or renamed since `migrate`).
        package static let tableMissing = Self(.tableMissing)
        /// The table has no primary key to page by.
        package static let noPrimaryKey = Self(.noPrimaryKey)
        /// `after` is not a key of this table (not the `next` of an earlier page).
        package static let badAfter = Self(.badAfter)
        /// The gateway's database role may not read the table: a deployment to fix, not a client error.
        package static let notReadable = Self(.notReadable)

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
