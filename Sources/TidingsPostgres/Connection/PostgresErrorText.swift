import PostgresNIO

/// Turns a postgres-nio error into one line an operator can act on.
///
/// `PSQLError`'s own description is deliberately generic; the server's message, SQLSTATE, detail
/// and hint are in `serverInfo`, and a connection failure's cause is in `underlying`.
package enum PostgresErrorText {
    package static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let info = error.serverInfo {
            var text = info[.message] ?? "server error"
            if let state = info[.sqlState] { text += " (SQLSTATE \(state))" }
            if let detail = info[.detail] { text += "; detail: \(detail)" }
            if let hint = info[.hint] { text += "; hint: \(hint)" }
            return text
        }
        if let underlying = error.underlying { return String(describing: underlying) }
        return String(reflecting: error)
    }

    /// The SQLSTATE of a server error, if `error` is one.
    package static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
