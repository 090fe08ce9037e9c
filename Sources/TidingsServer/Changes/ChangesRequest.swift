import Foundation
import HTTPTypes
import Hummingbird
import TidingsCore

/// The parsed query of `GET /changes`.
struct ChangesRequest: Sendable {
    static let defaultLimit = 100
    static let maxLimit = 1000
    static let maxWait: Duration = .seconds(60)

    var selectors: [Selector]
    /// Where the client stands; `nil` reads from the oldest retained event.
    var after: Int64?
    var limit: Int
    /// How long to hold the request open when nothing new is there; `nil` answers at once.
    var wait: Duration?
    /// The `If-None-Match` entity tags, `W/` removed; `*` matches any.
    var ifNoneMatch: [String]

    /// - Throws: a 400 ``APIError`` naming the parameter, its bad value and the allowed range.
    init(request: Request, maxSelectors: Int) throws(APIError) {
        let query = request.uri.queryParameters
        selectors = try SelectorQuery.selectors(in: request, maxSelectors: maxSelectors, endpoint: "/changes")
        if let text = query.get("after") {
            guard let after = Int64(text), after >= 0 else {
                throw .badRequest(
                    "bad_after",
                    "after must be a non-negative event id (the `next` of the previous answer), not '\(text.prefix(40))'"
                )
            }
            self.after = after
        }
        if let text = query.get("limit") {
            guard let limit = Int(text), (1...Self.maxLimit).contains(limit) else {
                throw .badRequest("bad_limit", "limit must be a whole number from 1 to \(Self.maxLimit), not '\(text.prefix(40))'")
            }
            self.limit = limit
        } else {
            self.limit = Self.defaultLimit
        }
        if let text = query.get("wait") {
            let wait: Duration
            do throws(ValueSyntaxError) {
                wait = try DurationText.parse(text)
            } catch {
                throw .badRequest("bad_wait", "wait must be a duration such as 25s or 500ms: \(error.description)")
            }
            guard wait <= Self.maxWait else {
                throw .badRequest("bad_wait", "wait may be at most 60s, not \(text.prefix(40))")
            }
            self.wait = wait > .zero ? wait : nil
        }
        ifNoneMatch = request.headers[values: .ifNoneMatch]
            .flatMap { $0.split(separator: ",") }
            .map { tag in
                let trimmed = tag.trimmingCharacters(in: .whitespaces)
                return trimmed.hasPrefix("W/") ? String(trimmed.dropFirst(2)) : trimmed
            }
    }

    /// Whether `etag` is among the client's `If-None-Match` tags.
    func isNotModified(etag: String) -> Bool {
        ifNoneMatch.contains { $0 == etag || $0 == "*" }
    }
}
