import HTTPTypes
import Hummingbird
import TidingsCore

/// The parsed query of `GET /events`: the requested selectors and where to resume.
struct StreamRequest: Sendable {
    var selectors: [Selector]
    /// The last id the client has, from `Last-Event-ID` or `last_event_id`; `nil` starts live.
    var lastEventID: Int64?

    /// Reads `topic=` (repeatable) and the resume point.
    /// - Throws: a 400 ``APIError`` naming the bad selector or parameter.
    init(request: Request, maxSelectors: Int) throws(APIError) {
        self.selectors = try SelectorQuery.selectors(in: request, maxSelectors: maxSelectors, endpoint: "/events")
        let header = request.headers[.lastEventID]
        let query = request.uri.queryParameters.get("last_event_id")
        if let text = header ?? query, !text.isEmpty {
            guard let id = Int64(text), id >= 0 else {
                let source = header != nil ? "Last-Event-ID header" : "last_event_id parameter"
                throw .badRequest("bad_last_event_id", "the \(source) must be a non-negative event id, not '\(text.prefix(40))'")
            }
            self.lastEventID = id
        } else {
            self.lastEventID = nil
        }
    }
}

extension HTTPField.Name {
    static let lastEventID = Self("Last-Event-ID")!
    static let xAccelBuffering = Self("X-Accel-Buffering")!
}
