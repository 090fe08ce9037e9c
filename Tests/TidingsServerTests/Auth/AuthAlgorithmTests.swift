import AsyncHTTPClient
import Crypto
import CryptoExtras
import Foundation
import JWTKit
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("Tokens signed with the configured key are accepted", .timeLimit(.minutes(1)))
struct AuthAlgorithmTests {
    /// An algorithm with a key made for the test.
    enum Algorithm: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case hs256 = "HS256"
        case hs384 = "HS384"
        case hs512 = "HS512"
        case rs256 = "RS256"
        case es256 = "ES256"
        case eddsa = "EdDSA"

        var testDescription: String { rawValue }
    }

    static let claims = TestClaims(subscribe: ["groups/7/**"])

    /// The gateway's rules and a token signed for them.
    static func setUp(_ algorithm: Algorithm) async throws -> (JWTSettings, String) {
        switch algorithm {
        case .hs256, .hs384, .hs512:
            let digest: DigestAlgorithm = algorithm == .hs256 ? .sha256 : algorithm == .hs384 ? .sha384 : .sha512
            let settings = JWTSettings(algorithm: JWTAlgorithmName(rawValue: algorithm.rawValue)!, key: .secret(TestTokens.longSecret))
            return (settings, try await TestTokens.hmac(claims, secret: TestTokens.longSecret, digest: digest))
        case .rs256:
            let key = try Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
            let file = try TidingsBinary.writeTemporary(key.publicKey.pemRepresentation, name: "rsa.pem")
            let token = try await TestTokens.sign(claims) { await $0.add(rsa: key, digestAlgorithm: .sha256) }
            return (JWTSettings(algorithm: .rs256, key: .publicKeyFile(file)), token)
        case .es256:
            let key = ES256PrivateKey()
            let file = try TidingsBinary.writeTemporary(key.publicKey.pemRepresentation, name: "es256.pem")
            let token = try await TestTokens.sign(claims) { await $0.add(ecdsa: key) }
            return (JWTSettings(algorithm: .es256, key: .publicKeyFile(file)), token)
        case .eddsa:
            let backing = Curve25519.Signing.PrivateKey()
            let file = try TidingsBinary.writeTemporary(TestTokens.pem(backing.publicKey), name: "ed25519.pem")
            let token = try await TestTokens.sign(claims) { await $0.add(eddsa: EdDSA.PrivateKey(backing: backing)) }
            return (JWTSettings(algorithm: .eddsa, key: .publicKeyFile(file)), token)
        }
    }

    @Test("a valid token opens the stream it grants", arguments: Algorithm.allCases)
    func accepted(_ algorithm: Algorithm) async throws {
        let (jwt, token) = try await Self.setUp(algorithm)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("alg") { _, config in
            try await LiveGateway.with(try config.with(jwt: jwt)) { live in
                var (response, messages) = try await openStream(
                    client,
                    "\(live.baseURL)/events?topic=groups/7/**",
                    headers: [("Authorization", "Bearer \(token)")]
                )
                #expect(response.status == .ok)
                #expect(try await messages.next() == .retry(2000))
            }
        }
    }

    @Test("with a JWKS, the token's kid picks the key; an unknown kid or another key under a known kid is refused")
    func jwksKidSelection() async throws {
        let first = P256.Signing.PrivateKey()
        let second = P256.Signing.PrivateKey()
        let jwks = try JSONSerialization.data(withJSONObject: [
            "keys": [TestTokens.jwk(first.publicKey, kid: "k1"), TestTokens.jwk(second.publicKey, kid: "k2")]
        ])
        let file = try TidingsBinary.writeTemporary(String(decoding: jwks, as: UTF8.self), name: "jwks.json")
        let jwt = JWTSettings(algorithm: .es256, key: .jwksFile(file))
        let secondKey = try ES256PrivateKey(backing: second)
        let firstKey = try ES256PrivateKey(backing: first)
        let good = try await TestTokens.sign(Self.claims, kid: "k2") { await $0.add(ecdsa: secondKey, kid: "k2") }
        let unknownKid = try await TestTokens.sign(Self.claims, kid: "k3") { await $0.add(ecdsa: secondKey, kid: "k3") }
        let wrongKey = try await TestTokens.sign(Self.claims, kid: "k2") { await $0.add(ecdsa: firstKey, kid: "k2") }

        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("jwks") { _, config in
            try await LiveGateway.with(try config.with(jwt: jwt)) { live in
                let url = "\(live.baseURL)/events?topic=groups/7/**"
                var (response, messages) = try await openStream(client, url, headers: [("Authorization", "Bearer \(good)")])
                #expect(response.status == .ok)
                #expect(try await messages.next() == .retry(2000))
                for token in [unknownKid, wrongKey] {
                    var request = HTTPClientRequest(url: url)
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    try await expectInvalidToken(try await client.execute(request, timeout: .seconds(10)), token: token)
                }
            }
        }
    }
}
