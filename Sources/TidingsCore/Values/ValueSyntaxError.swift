/// Why a duration, a byte count or an address written by a person was refused.
///
/// The config loader turns it into a ``ConfigError`` at the value's line; `reason` says what is
/// wrong (and lists what is accepted) and `fix` says what to write instead. Both are safe to show.
package struct ValueSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of value was refused.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case duration, byteCount, listenAddress
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A duration (`15s`, `500ms`, `7d`).
        package static let duration = Self(.duration)
        /// A byte count (`512`, `64KiB`, `1MiB`).
        package static let byteCount = Self(.byteCount)
        /// A listen address (`0.0.0.0:8443`, `[::1]:8443`).
        package static let listenAddress = Self(.listenAddress)

        package var description: String { base.rawValue }
    }

    package let code: Code
    /// The text that was refused.
    package let text: String
    /// What is wrong with it.
    package let reason: String
    /// What to write instead.
    package let fix: String

    package init(_ code: Code, text: String, reason: String, fix: String) {
        self.code = code
        self.text = text
        self.reason = reason
        self.fix = fix
    }

    package var description: String { "'\(text)': \(reason) — \(fix)" }
}
