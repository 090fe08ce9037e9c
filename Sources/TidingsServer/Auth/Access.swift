import TidingsCore

/// What a request may see, decided once from its token (or its absence) before anything streams.
struct Access: Sendable {
    /// The token's `subscribe` selectors plus `auth.public`.
    var subscribe: [Selector]
    /// The token's `publish` selectors.
    var publish: [Selector]
    /// Whether the request carried a token: decides 401 or 403 for a refused selector.
    var hasToken: Bool
    /// When the token stops being valid, leeway included; `nil` without a token.
    var expiresAt: ContinuousClock.Instant?
    /// The verified token's identity, to count its open streams; `nil` without a token.
    var identity: TokenIdentity?
    /// The token's `sub` claim, which scopes `Idempotency-Key`s; never logged.
    var subject: String? = nil

    /// The access of a request without a token.
    static func anonymous(public selectors: [Selector]) -> Access {
        Access(subscribe: selectors, publish: [], hasToken: false, expiresAt: nil, identity: nil)
    }
}
