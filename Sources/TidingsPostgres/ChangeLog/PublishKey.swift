/// What makes two publishes the same request (`Idempotency-Key`): whose key it is, the key, and
/// a hash of the body that tells a repeat from a reuse of the key with another body.
public struct PublishKey: Sendable, Hashable {
    /// Whose key it is (the token's subject, or a hash of a token without one), so two callers' keys never meet.
    public var scope: String
    public var key: String
    public var bodyHash: String

    public init(scope: String, key: String, bodyHash: String) {
        self.scope = scope
        self.key = key
        self.bodyHash = bodyHash
    }
}
