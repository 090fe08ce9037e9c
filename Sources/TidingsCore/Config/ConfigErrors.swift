/// Every error found in a config file, in file order.
///
/// The loader reports all problems at once, so that one run of `tidings check` lists everything
/// to fix. Never empty when thrown.
package struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    package var errors: [ConfigError]

    package init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line.
    package var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
