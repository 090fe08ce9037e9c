import AsyncHTTPClient
import Crypto
import Foundation
import JWTKit
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore

/// Claims a third-party issuer might sign, built field by field so a test can leave out or
/// falsify any one of them.
package struct TestClaims: JWTPayload {
    /// The `tidings` claim.
    package struct Rights: Codable, Sendable {
        var subscribe: [String]
    }

    package var exp: ExpirationClaim?
    package var nbf: NotBeforeClaim?
    package var iss: IssuerClaim?
    package var aud: AudienceClaim?
    package var tidings: Rights

    /// Claims granting `subscribe`, expiring `expiresIn` seconds from now.
    package init(subscribe: [String], expiresIn: TimeInterval? = 3600, issuer: String? = nil, audience: String? = nil) {
        self.exp = expiresIn.map { ExpirationClaim(value: Date().addingTimeInterval($0)) }
        self.iss = issuer.map { IssuerClaim(value: $0) }
        self.aud = audience.map { AudienceClaim(value: [$0]) }
        self.tidings = Rights(subscribe: subscribe)
    }

    /// Checks happen in the gateway; signing needs none.
    package func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Signs, forges and hand-builds tokens for the auth tests.
package enum TestTokens {
    /// A secret long enough for HS512 (jwt-kit asserts a key at least the hash's size).
    package static let longSecret = String(repeating: "long-test-secret-", count: 4)

    /// `claims` signed with an HMAC `secret` (HS256 unless `digest` says otherwise).
    package static func hmac(
        _ claims: TestClaims,
        secret: String = TestConfig.secret,
        digest: DigestAlgorithm = .sha256
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: digest)
        return try await keys.sign(claims)
    }

    /// `claims` signed by whatever key `add` puts in a fresh collection, with `kid` in the header.
    package static func sign(
        _ claims: TestClaims,
        kid: String? = nil,
        _ add: (JWTKeyCollection) async throws -> Void
    ) async throws -> String {
        let keys = JWTKeyCollection()
        try await add(keys)
        return try await keys.sign(claims, kid: kid.map { JWKIdentifier(string: $0) })
    }

    /// A token built by hand from `header` and `claims`, signed with HMAC-SHA256 over `key`'s
    /// bytes, or left unsigned (empty third part) when `key` is `nil`.
    package static func handBuilt(header: [String: String], claims: TestClaims, hmacKey key: String?) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let signingInput =
            base64URL(try JSONSerialization.data(withJSONObject: header)) + "." + base64URL(try encoder.encode(claims))
        guard let key else { return signingInput + "." }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return signingInput + "." + base64URL(Data(mac))
    }

    /// Unpadded base64url, as JWT parts are written.
    package static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// An Ed25519 public key as a PEM SubjectPublicKeyInfo, which `EdDSA.PublicKey(pem:)` reads.
    package static func pem(_ key: Curve25519.Signing.PublicKey) -> String {
        let spki = Data([0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]) + key.rawRepresentation
        return "-----BEGIN PUBLIC KEY-----\n\(spki.base64EncodedString())\n-----END PUBLIC KEY-----\n"
    }

    /// A P-256 public key as a JWKS entry for ES256.
    package static func jwk(_ key: P256.Signing.PublicKey, kid: String) -> [String: String] {
        let raw = key.rawRepresentation
        return [
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": kid,
            "x": base64URL(raw.prefix(32)), "y": base64URL(raw.suffix(32)),
        ]
    }
}

extension TidingsConfig {
    /// This config with other token rules, public topics, stream limit and CORS origins.
    package func with(
        jwt: JWTSettings = JWTSettings(key: .secret(TestConfig.secret)),
        public selectors: [String] = [],
        maxStreamsPerToken: Int = 0,
        corsOrigins: [String] = []
    ) throws -> TidingsConfig {
        var config = self
        config.auth = AuthSettings(
            jwt: jwt,
            public: try selectors.map { try Selector(parsing: $0) },
            maxStreamsPerToken: maxStreamsPerToken
        )
        config.cors = CORSSettings(origins: corsOrigins)
        return config
    }
}

/// Checks that `response` is a JSON error with `status` and `code`, and that its body never
/// echoes `secret` (the token that was sent); returns its `detail`.
@discardableResult
package func expectJSONError(
    _ response: HTTPClientResponse,
    status: Int,
    code: String,
    notContaining secret: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> String {
    #expect(Int(response.status.code) == status, sourceLocation: sourceLocation)
    #expect(response.headers["content-type"].first?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    let body = try await bodyText(response)
    let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String]
    #expect(json?["error"] == code, "\(body)", sourceLocation: sourceLocation)
    #expect(json?["detail"]?.isEmpty == false, sourceLocation: sourceLocation)
    if let secret { #expect(!body.contains(secret), sourceLocation: sourceLocation) }
    return json?["detail"] ?? ""
}

/// Checks that `response` is the 401 RFC 6750 asks for a bad token; returns its `detail`.
@discardableResult
package func expectInvalidToken(
    _ response: HTTPClientResponse,
    token: String,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws -> String {
    let challenge = response.headers["www-authenticate"].first ?? ""
    #expect(challenge.hasPrefix("Bearer"), sourceLocation: sourceLocation)
    #expect(challenge.contains(#"error="invalid_token""#), sourceLocation: sourceLocation)
    return try await expectJSONError(response, status: 401, code: "unauthorized", notContaining: token, sourceLocation: sourceLocation)
}
