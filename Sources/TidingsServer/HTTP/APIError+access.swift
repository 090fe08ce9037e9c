import HTTPTypes

extension APIError {
    /// 429: the token already holds as many streams as `auth.max_streams_per_token` allows.
    static func tooManyStreams(limit: Int) -> APIError {
        APIError(
            status: .tooManyRequests,
            error: "too_many_streams",
            detail: "this token already holds \(limit) open stream\(limit == 1 ? "" : "s"), the most allowed; close one first"
        )
    }

    /// 429: the streams without a token already number `limits.max_anonymous_streams`.
    static func tooManyAnonymousStreams(limit: Int) -> APIError {
        APIError(
            status: .tooManyRequests,
            error: "too_many_streams",
            detail: "this gateway already serves \(limit) stream\(limit == 1 ? "" : "s") without a token, the most allowed; "
                + "send a token or try again later",
            headers: [.retryAfter: "5"]
        )
    }

    /// 403 for a CORS preflight from an origin outside `cors.origins`.
    static func originNotAllowed(_ origin: String) -> APIError {
        APIError(
            status: .forbidden,
            error: "origin_not_allowed",
            detail: "origin '\(origin.prefix(200))' is not in cors.origins of this gateway"
        )
    }
}
