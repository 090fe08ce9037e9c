/// Why a duration, a byte count or an address written by a person was refused.
///
/// The config loader turns it into a ``ConfigError`` at the value's line; `reason` says what is
/// wrong (and lists what is accepted) and `fix` says what to write instead. Both are safe to show.
public struct ValueSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text that was refused.
    public let text: String
    /// What is wrong with it.
    public let reason: String
    /// What to write instead.
    public let fix: String

    public init(text: String, reason: String, fix: String) {
        self.text = text
        self.reason = reason
        self.fix = fix
    }

    public var description: String { "'\(text)': \(reason) — \(fix)" }
}
