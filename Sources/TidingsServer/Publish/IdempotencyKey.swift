import Crypto
import HTTPTypes
import Hummingbird

/// An `Idempotency-Key` header of `POST /publish` and who sent it: a repeat of the same key in
/// the same scope answers with the first publish's id instead of publishing again (SPEC §4).
struct IdempotencyKey: Sendable {
    static let maxLength = 128

    /// The token's `sub`, or, for a token without one, a hash of the token itself (so keys of
    /// different callers never meet; such a caller's keys end with its token).
    var scope: String
    var key: String
    /// SHA-256 of the body, hex: the same key with another body is a conflict.
    var bodyHash: String

    /// The request's key, nil when it sends none.
    /// - Throws: a 400 ``APIError`` for a key that is not 1 to 128 visible ASCII characters.
    init?(request: Request, access: Access, body: [UInt8]) throws(APIError) {
        let values = request.headers[values: .idempotencyKey]
        guard let value = values.first else { return nil }
        guard values.count == 1, (1...Self.maxLength).contains(value.utf8.count),
            value.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else {
            throw .badRequest(
                "bad_idempotency_key",
                "Idempotency-Key must be given once, as 1 to \(Self.maxLength) visible ASCII characters (no spaces)"
            )
        }
        if let subject = access.subject {
            scope = "sub:" + subject
        } else {
            scope = "token:" + (access.identity?.hex ?? "none")
        }
        key = value
        bodyHash = Self.hex(SHA256.hash(data: body))
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}

extension HTTPField.Name {
    /// `Idempotency-Key` (IETF draft-ietf-httpapi-idempotency-key-header).
    static let idempotencyKey = Self("Idempotency-Key")!
}
