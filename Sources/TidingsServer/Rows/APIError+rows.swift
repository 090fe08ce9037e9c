import HTTPTypes
import TidingsPostgres

extension APIError {
    /// The answer for a `/rows` request the table or its parameters cannot serve.
    init(rows error: RowsError) {
        switch error.code {
        case .badAfter:
            self = .badRequest("bad_after", error.message)
        case .notReadable:
            self = APIError(status: .internalServerError, error: "table_not_readable", detail: error.message)
        case .noPrimaryKey:
            self = APIError(status: .conflict, error: "no_primary_key", detail: error.message)
        default:
            self = APIError(status: .notFound, error: "table_missing", detail: error.message)
        }
    }
}
