import Foundation
import JWTKit

/// The claims Tidings reads from a token: the registered time, issuer and audience claims, and
/// every custom claim shaped like `{"subscribe": [...], "publish": [...]}` (the configured
/// `auth.jwt.claim` picks one).
///
/// Time, issuer and audience checks happen in ``TokenVerifier``, which knows the configured
/// leeway; ``verify(using:)`` accepts everything the signature check let through.
struct TokenClaims: JWTPayload {
    /// A custom claim's selector lists, still unparsed.
    struct Rights: Codable, Sendable, Equatable {
        var subscribe: [String]?
        var publish: [String]?
    }

    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    var sub: SubjectClaim?
    var rights: [String: Rights] = [:]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let registered: Set<String> = ["exp", "nbf", "iss", "aud", "sub", "iat", "jti"]

    init(exp: Date, sub: String?, rights: [String: Rights]) {
        self.exp = ExpirationClaim(value: exp)
        self.sub = sub.map { SubjectClaim(value: $0) }
        self.rights = rights
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        exp = try container.decodeIfPresent(ExpirationClaim.self, forKey: Key(stringValue: "exp"))
        nbf = try container.decodeIfPresent(NotBeforeClaim.self, forKey: Key(stringValue: "nbf"))
        iss = try container.decodeIfPresent(IssuerClaim.self, forKey: Key(stringValue: "iss"))
        aud = try container.decodeIfPresent(AudienceClaim.self, forKey: Key(stringValue: "aud"))
        sub = try container.decodeIfPresent(SubjectClaim.self, forKey: Key(stringValue: "sub"))
        for key in container.allKeys where !Self.registered.contains(key.stringValue) {
            // Only claims shaped like rights are kept; any other custom claim is the issuer's business.
            if let value = try? container.decode(Rights.self, forKey: key) { rights[key.stringValue] = value }
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(exp, forKey: Key(stringValue: "exp"))
        try container.encodeIfPresent(nbf, forKey: Key(stringValue: "nbf"))
        try container.encodeIfPresent(iss, forKey: Key(stringValue: "iss"))
        try container.encodeIfPresent(aud, forKey: Key(stringValue: "aud"))
        try container.encodeIfPresent(sub, forKey: Key(stringValue: "sub"))
        for (name, value) in rights { try container.encode(value, forKey: Key(stringValue: name)) }
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
