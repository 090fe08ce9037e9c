/// What makes two publishes the same request (`Idempotency-Key`): whose key it is, the key, and
/// a hash of the body that tells a repeat from a reuse of the key with another body.
package struct PublishKey: Sendable, Hashable {
    /// Whose key it is (the token's subject, or a hash of a token without one), so two callers' keys never meet.
    package var scope: String
    package var key: String
    package var bodyHash: String

    package init(scope: String, key: String, bodyHash: String) {
        self.scope = scope
        self.key = key
        self.bodyHash = bodyHash
    }
}
