import HTTPTypes

extension APIError {
    /// 400 for a value PostgreSQL refused as data (SQLSTATE class 22, data exception, or 54,
    /// program limit exceeded): the client's input, not the database's health, so retrying it
    /// cannot help. `nil` for any other state, which stays a 503.
    ///
    /// The database's own message never reaches the client; the detail names the field and the
    /// kind of problem.
    static func refusedByDatabase(sqlState: String, field: String) -> APIError? {
        let reason: String
        switch sqlState {
        case "22P05":
            reason = "it contains \\u0000 (NUL), which PostgreSQL text and jsonb cannot store"
        case "22021":
            reason = "it contains a byte sequence that is not valid in the database's encoding"
        case "22023":
            reason = "PostgreSQL refused it as an invalid value"
        case "22001", "54000":
            reason = "it is longer than PostgreSQL can store here"
        case _ where sqlState.hasPrefix("22"):
            reason = "PostgreSQL refused it as data it cannot take"
        case _ where sqlState.hasPrefix("54"):
            reason = "it exceeds a PostgreSQL limit"
        default:
            return nil
        }
        return APIError(
            status: .badRequest,
            error: "bad_value",
            detail: "the value of '\(field)' was refused: \(reason) (SQLSTATE \(sqlState)); change it, retrying will not help"
        )
    }
}
