import Hummingbird
import TidingsCore

/// The `topic=` parameters of `/events` and `/changes`: one or more selectors, each valid.
enum SelectorQuery {
    /// - Throws: a 400 ``APIError`` naming the bad selector, or saying none or too many were given.
    static func selectors(in request: Request, maxSelectors: Int, endpoint: String) throws(APIError) -> [Selector] {
        let texts = request.uri.queryParameters.getAll("topic").map { String($0) }
        guard !texts.isEmpty else {
            throw .badRequest(
                "missing_topic",
                "name at least one topic selector: \(endpoint)?topic=orders/42 (repeat topic= for more)"
            )
        }
        guard texts.count <= maxSelectors else {
            throw .badRequest("too_many_selectors", "\(texts.count) selectors requested; at most \(maxSelectors) are allowed per request")
        }
        var selectors: [Selector] = []
        for text in texts {
            do throws(TopicSyntaxError) {
                selectors.append(try Selector(parsing: text))
            } catch {
                throw .badRequest("bad_selector", "topic selector \(error.description)")
            }
        }
        return selectors
    }
}
