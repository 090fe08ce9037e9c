import TidingsCore

extension Access {
    /// The grant for `requested`, or the refusal docs/protocol.md asks for: 401 without a token, 403
    /// with one, when some requested selector can match no topic this request may see.
    func grant(for requested: [Selector]) throws(APIError) -> Grant {
        let grant = Grant(granted: subscribe, requested: requested)
        guard let refused = grant.refusedSelectors.first else { return grant }
        let detail = "topic selector '\(refused)' matches no topic this \(hasToken ? "token" : "request") may subscribe to"
        if hasToken { throw APIError.forbidden(detail) }
        throw APIError.unauthorized(
            detail + "; send a token (Authorization: Bearer, access_token or the tidings_token cookie)",
            invalidToken: false
        )
    }
}
