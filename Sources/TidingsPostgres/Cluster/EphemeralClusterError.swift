/// Why a throwaway PostgreSQL cluster could not be found, created, started or stopped.
///
/// The description says what to install or look at (the failing command's output, or the path of
/// the server log).
public struct EphemeralClusterError: Error, Sendable, CustomStringConvertible {
    public let description: String

    package init(_ description: String) {
        self.description = description
    }
}
