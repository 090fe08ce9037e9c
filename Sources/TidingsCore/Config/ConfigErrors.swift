/// Every error found in a config file, in file order.
///
/// The loader reports all problems at once, so that one run of `tidings check` lists everything
/// to fix. Never empty when thrown.
public struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
