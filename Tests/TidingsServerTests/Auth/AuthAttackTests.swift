import AsyncHTTPClient
import CryptoExtras
import Foundation
import JWTKit
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("Forged, confused and stale tokens are refused", .timeLimit(.minutes(1)))
struct AuthAttackTests {
    /// One way to get a token past a gateway that should refuse it.
    enum Attack: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case algNone = "alg none (unsigned)"
        case algorithmConfusion = "HS256 signed with the RS256 public key PEM as secret"
        case otherHMACAlgorithm = "HS512 token to an HS256 gateway"
        case expired = "expired beyond leeway"
        case notYetValid = "nbf in the future beyond leeway"
        case wrongIssuer = "wrong issuer"
        case wrongAudience = "wrong audience"
        case badSignature = "signed with another secret"
        case garbage = "garbage"
        case noExpiry = "no exp claim"

        var testDescription: String { rawValue }

        /// What the refusal's `detail` must say, so the token is refused for this reason and
        /// no other.
        var reason: String {
            switch self {
            case .algNone: "algorithm 'none'"
            case .algorithmConfusion: "algorithm 'HS256'"
            case .otherHMACAlgorithm: "algorithm 'HS512'"
            case .expired: "expired"
            case .notYetValid: "not valid yet"
            case .wrongIssuer: "issuer"
            case .wrongAudience: "audience"
            case .badSignature: "signature"
            case .garbage: "malformed"
            case .noExpiry: "no exp"
            }
        }
    }

    /// A gateway's token rules, a token it must refuse, and one it accepts (the same claims,
    /// honestly signed).
    struct Case {
        var jwt: JWTSettings
        var attack: String
        var control: String
    }

    static let issuer = "https://issuer.test"
    static let audience = "tidings-tests"

    /// Claims that this gateway would accept, but for what the attack changes.
    static func claims(expiresIn: TimeInterval? = 3600, issuer: String = issuer, audience: String = audience) -> TestClaims {
        TestClaims(subscribe: ["groups/7/**"], expiresIn: expiresIn, issuer: issuer, audience: audience)
    }

    static func setUp(_ attack: Attack) async throws -> Case {
        let secret = TestTokens.longSecret
        let hs256 = JWTSettings(key: .secret(secret), issuer: issuer, audience: audience, leeway: .seconds(5))
        let control = try await TestTokens.hmac(claims(), secret: secret)
        switch attack {
        case .algNone:
            let token = try TestTokens.handBuilt(header: ["alg": "none", "typ": "JWT"], claims: claims(), hmacKey: nil)
            return Case(jwt: hs256, attack: token, control: control)
        case .algorithmConfusion:
            let key = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
            let pem = key.publicKey.pemRepresentation
            let file = try TidingsBinary.writeTemporary(pem, name: "rsa.pem")
            return Case(
                jwt: JWTSettings(algorithm: .rs256, key: .publicKeyFile(file), issuer: issuer, audience: audience),
                attack: try TestTokens.handBuilt(header: ["alg": "HS256", "typ": "JWT"], claims: claims(), hmacKey: pem),
                control: try await TestTokens.sign(claims()) { await $0.add(rsa: key, digestAlgorithm: .sha256) }
            )
        case .otherHMACAlgorithm:
            return Case(jwt: hs256, attack: try await TestTokens.hmac(claims(), secret: secret, digest: .sha512), control: control)
        case .expired:
            return Case(jwt: hs256, attack: try await TestTokens.hmac(claims(expiresIn: -60), secret: secret), control: control)
        case .notYetValid:
            var claims = claims()
            claims.nbf = NotBeforeClaim(value: Date().addingTimeInterval(60))
            return Case(jwt: hs256, attack: try await TestTokens.hmac(claims, secret: secret), control: control)
        case .wrongIssuer:
            let token = try await TestTokens.hmac(claims(issuer: "https://elsewhere.test"), secret: secret)
            return Case(jwt: hs256, attack: token, control: control)
        case .wrongAudience:
            let token = try await TestTokens.hmac(claims(audience: "another-service"), secret: secret)
            return Case(jwt: hs256, attack: token, control: control)
        case .badSignature:
            let token = try await TestTokens.hmac(claims(), secret: String(secret.reversed()))
            return Case(jwt: hs256, attack: token, control: control)
        case .garbage:
            return Case(jwt: hs256, attack: "not-a-jwt-\(UUID().uuidString)", control: control)
        case .noExpiry:
            return Case(jwt: hs256, attack: try await TestTokens.hmac(claims(expiresIn: nil), secret: secret), control: control)
        }
    }

    @Test("the token is refused with 401, WWW-Authenticate error=\"invalid_token\" and a JSON error", arguments: Attack.allCases)
    func refused(_ attack: Attack) async throws {
        let tokens = try await Self.setUp(attack)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("attack") { _, config in
            try await LiveGateway.with(try config.with(jwt: tokens.jwt)) { live in
                let url = "\(live.baseURL)/events?topic=groups/7/**"
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: "Authorization", value: "Bearer \(tokens.attack)")
                let detail = try await expectInvalidToken(try await client.execute(request, timeout: .seconds(10)), token: tokens.attack)
                #expect(detail.contains(attack.reason), "\(detail)")

                let (control, _) = try await openStream(client, url, headers: [("Authorization", "Bearer \(tokens.control)")])
                #expect(control.status == .ok, "the same claims, honestly signed, are accepted")
            }
        }
    }
}
