import Hummingbird
import TidingsCore

/// The parsed query of `GET /rows`: which captured table, which selectors, and where to page.
struct RowsRequest: Sendable {
    static let defaultLimit = 100
    static let maxLimit = 1000
    static let maxAfterLength = 4096

    var capture: TableCapture
    var selectors: [Selector]
    var limit: Int
    /// The previous page's `next`; nil for the first page.
    var after: String?

    /// - Throws: a 400 ``APIError`` naming the parameter, or 404 for a table that is not captured.
    init(request: Request, tables: [TableCapture], maxSelectors: Int) throws(APIError) {
        let query = request.uri.queryParameters
        let names = query.getAll("table")
        guard names.count == 1, let name = names.first, !name.isEmpty else {
            throw .badRequest("bad_table", "name exactly one captured table: /rows?table=orders&topic=orders/** (or table=sales.orders)")
        }
        let qualified = name.contains(".") ? String(name) : "public.\(name)"
        guard let capture = tables.first(where: { $0.table.description == qualified }) else {
            throw APIError(
                status: .notFound,
                error: "table_not_captured",
                detail: "table '\(name.prefix(200))' is not captured by this gateway (it is not listed under topics:)"
            )
        }
        self.capture = capture
        selectors = try SelectorQuery.selectors(in: request, maxSelectors: maxSelectors, endpoint: "/rows")
        if let text = query.get("limit") {
            guard let limit = Int(text), (1...Self.maxLimit).contains(limit) else {
                throw .badRequest("bad_limit", "limit must be a whole number from 1 to \(Self.maxLimit), not '\(text.prefix(40))'")
            }
            self.limit = limit
        } else {
            self.limit = Self.defaultLimit
        }
        let afters = query.getAll("after")
        guard afters.count <= 1 else { throw .badRequest("bad_after", "give after at most once: the `next` of the previous page") }
        if let text = afters.first {
            guard !text.isEmpty, text.utf8.count <= Self.maxAfterLength, !text.unicodeScalars.contains(where: { $0.value == 0 }) else {
                throw .badRequest(
                    "bad_after",
                    "after must be the `next` of the previous page (non-empty, at most \(Self.maxAfterLength) bytes)"
                )
            }
            after = String(text)
        }
    }
}
