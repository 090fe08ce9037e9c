/// Why a connection was closed as soon as it was accepted.
struct ConnectionRefusal: Error, CustomStringConvertible {
    /// The kind of refusal.
    enum Code: String, Sendable {
        /// `limits.max_connections` connections were open already.
        case limitReached
    }

    let code: Code
    /// What happened, naming the setting; for the log.
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The limit was reached: `limits.max_connections (LIMIT) reached: connection closed`.
    static func limitReached(_ limit: Int) -> ConnectionRefusal {
        ConnectionRefusal(.limitReached, "limits.max_connections (\(limit)) reached: connection closed")
    }

    var description: String { message }
}
