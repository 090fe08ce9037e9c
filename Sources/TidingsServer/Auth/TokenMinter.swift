package import Foundation
import JWTKit
package import TidingsCore

/// Signs tokens for development and tests (`tidings token`, `tidings dev`), with the gateway's
/// own claim layout, so what it mints is exactly what the gateway verifies.
package struct TokenMinter: Sendable {
    private let keys: JWTKeyCollection
    private let claim: String
    private let issuer: String?
    private let audience: String?

    /// A minter for the configured algorithm: the HS secret from the config, or a PEM private
    /// key file for RS256, ES256 and EdDSA.
    /// - Throws: ``GatewayStartupError`` naming the missing or unreadable key.
    package init(settings: JWTSettings, privateKeyFile: String? = nil) async throws(GatewayStartupError) {
        let keys = JWTKeyCollection()
        do {
            switch (settings.algorithm, settings.key, privateKeyFile) {
            case (.hs256, .secret(let secret), nil):
                await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            case (.hs384, .secret(let secret), nil):
                await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha384)
            case (.hs512, .secret(let secret), nil):
                await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha512)
            case (.rs256, _, let path?):
                await keys.add(rsa: try Insecure.RSA.PrivateKey(pem: Self.read(path)), digestAlgorithm: .sha256)
            case (.es256, _, let path?):
                await keys.add(ecdsa: try ES256PrivateKey(pem: Self.read(path)))
            case (.eddsa, _, let path?):
                await keys.add(eddsa: try EdDSA.PrivateKey(pem: Self.read(path)))
            case (let algorithm, _, nil):
                throw GatewayStartupError(
                    .invalidSigningKey,
                    "\(algorithm.rawValue) tokens are signed with a private key: pass --private-key FILE (PEM)"
                )
            case (let algorithm, _, .some):
                throw GatewayStartupError(
                    .invalidSigningKey,
                    "--private-key is for RS256, ES256 and EdDSA; \(algorithm.rawValue) signs with auth.jwt.secret"
                )
            }
        } catch let error as GatewayStartupError {
            throw error
        } catch {
            throw GatewayStartupError(.invalidSigningKey, "cannot load the private key \(privateKeyFile ?? ""): \(error)")
        }
        self.keys = keys
        self.claim = settings.claim
        self.issuer = settings.issuer
        self.audience = settings.audience
    }

    private static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GatewayStartupError(.invalidSigningKey, "cannot read the private key file \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A signed token granting `subscribe` and `publish`, valid for `ttl` from `now`.
    package func mint(
        subscribe: [Selector],
        publish: [Selector] = [],
        subject: String? = nil,
        ttl: Duration,
        now: Date = Date()
    ) async throws -> String {
        let seconds = Double(ttl.components.seconds) + Double(ttl.components.attoseconds) / 1e18
        var claims = TokenClaims(
            exp: now.addingTimeInterval(seconds),
            sub: subject,
            rights: [claim: .init(subscribe: subscribe.map(\.description), publish: publish.map(\.description))]
        )
        claims.iss = issuer.map { IssuerClaim(value: $0) }
        claims.aud = audience.map { AudienceClaim(value: [$0]) }
        return try await keys.sign(claims)
    }
}
