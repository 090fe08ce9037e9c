import Foundation
import JWTKit
import Logging
import TidingsCore

/// Verifies tokens against the one configured algorithm and key, and turns their claims into
/// selectors.
///
/// jwt-kit verifies with the key's own algorithm and never compares the header's `alg`, so the
/// header is read first and anything but the configured algorithm (`none`, HS256 with a public
/// key as secret, …) is refused before any signature check.
struct TokenVerifier: Sendable {
    /// A verified token's contents.
    struct Verified: Sendable {
        var subscribe: [Selector]
        var publish: [Selector]
        /// `exp` plus leeway.
        var validUntil: Date
        /// The `sub` claim: who publishes, for `Idempotency-Key`.
        var subject: String? = nil
    }

    private let keys: JWTKeyCollection
    /// With `jwks_url`: the provider's keys, used instead of `keys`.
    let remote: RemoteKeySet?
    private let settings: JWTSettings

    private init(keys: JWTKeyCollection, remote: RemoteKeySet? = nil, settings: JWTSettings) {
        self.keys = keys
        self.remote = remote
        self.settings = settings
    }

    /// Loads the configured key; with `jwks_url`, fetches the set once (a failure is logged
    /// and retried by ``RemoteKeySet/run()``, which the gateway runs as a service).
    /// - Throws: ``TokenKeyError`` naming the key file and what is wrong with it.
    static func load(_ settings: JWTSettings, logger: Logger = Logger(label: "tidings.auth")) async throws(TokenKeyError) -> TokenVerifier {
        if case .jwksURL(let url) = settings.key {
            let remote = RemoteKeySet(url: url, refresh: settings.jwksRefresh, logger: logger)
            await remote.fetchLogging(reason: "start")
            return TokenVerifier(keys: JWTKeyCollection(), remote: remote, settings: settings)
        }
        let keys = JWTKeyCollection()
        do {
            switch (settings.algorithm, settings.key) {
            case (.hs256, .secret(let secret)):
                await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
            case (.hs384, .secret(let secret)):
                await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha384)
            case (.hs512, .secret(let secret)):
                await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha512)
            case (.rs256, .publicKeyFile(let path)):
                await keys.add(rsa: try Insecure.RSA.PublicKey(pem: try read(path)), digestAlgorithm: .sha256)
            case (.es256, .publicKeyFile(let path)):
                await keys.add(ecdsa: try ES256PublicKey(pem: try read(path)))
            case (.eddsa, .publicKeyFile(let path)):
                await keys.add(eddsa: try EdDSA.PublicKey(pem: try read(path)))
            case (_, .jwksFile(let path)):
                try await keys.add(jwksJSON: try read(path))
                // A token must name a key of the set; no fallback to a default key.
                _ = await keys.clearDefault()
            default:
                throw TokenKeyError(.wrongKeyKind, "auth.jwt: \(settings.algorithm.rawValue) does not take this kind of key")
            }
        } catch let error as TokenKeyError {
            throw error
        } catch {
            throw TokenKeyError(.unloadableKey, "auth.jwt: cannot load the \(settings.algorithm.rawValue) key: \(error)")
        }
        return TokenVerifier(keys: keys, settings: settings)
    }

    private static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw TokenKeyError(.unreadableKeyFile, "cannot read the key file \(path): check the path and its permissions")
        }
        return text
    }

    /// Verifies `token` at `now`.
    /// - Throws: a 401 ``APIError`` saying why, never echoing the token.
    func verify(_ token: String, now: Date = Date()) async throws(APIError) -> Verified {
        let header = try Self.header(of: token)
        guard header.alg == settings.algorithm.rawValue else {
            throw .unauthorized(
                "token algorithm '\(header.alg.prefix(16))' is not accepted; this gateway accepts \(settings.algorithm.rawValue) only",
                invalidToken: true
            )
        }
        let claims: TokenClaims
        do {
            let keys = await remote?.keys(for: header.kid) ?? self.keys
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch {
            throw .unauthorized("token signature or format is invalid", invalidToken: true)
        }
        let leeway = Double(settings.leeway.components.seconds) + Double(settings.leeway.components.attoseconds) / 1e18
        guard let exp = claims.exp?.value else {
            throw .unauthorized("token has no exp claim; tokens must expire", invalidToken: true)
        }
        guard exp.addingTimeInterval(leeway) > now else { throw .unauthorized("token expired", invalidToken: true) }
        if let nbf = claims.nbf?.value, nbf.addingTimeInterval(-leeway) > now {
            throw .unauthorized("token is not valid yet (nbf)", invalidToken: true)
        }
        if let issuer = settings.issuer, claims.iss?.value != issuer {
            throw .unauthorized("token issuer is not accepted", invalidToken: true)
        }
        if let audience = settings.audience, !(claims.aud?.value.contains(audience) ?? false) {
            throw .unauthorized("token audience does not include '\(audience)'", invalidToken: true)
        }
        let rights = claims.rights[settings.claim]
        return Verified(
            subscribe: try Self.selectors(rights?.subscribe, claim: settings.claim, list: "subscribe"),
            publish: try Self.selectors(rights?.publish, claim: settings.claim, list: "publish"),
            validUntil: exp.addingTimeInterval(leeway),
            subject: claims.sub?.value
        )
    }

    private static func selectors(_ texts: [String]?, claim: String, list: String) throws(APIError) -> [Selector] {
        var selectors: [Selector] = []
        for text in texts ?? [] {
            do {
                selectors.append(try Selector(parsing: text))
            } catch {
                throw .unauthorized("token claim \(claim).\(list) holds an invalid selector: \(error.reason)", invalidToken: true)
            }
        }
        return selectors
    }

    private struct Header: Decodable {
        var alg: String
        var kid: String?
    }

    private static func header(of token: String) throws(APIError) -> Header {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Data(base64URLEncoded: parts[0]),
            let header = try? JSONDecoder().decode(Header.self, from: data)
        else {
            throw .unauthorized("token is malformed: expected a signed JWT (three base64url parts)", invalidToken: true)
        }
        return header
    }
}

/// A key that cannot be loaded; the message names the file and the fix.
struct TokenKeyError: Error, CustomStringConvertible {
    /// The kind of failure.
    enum Code: String, Sendable {
        /// `auth.jwt.algorithm` does not take the kind of key configured.
        case wrongKeyKind
        /// The key was read but is not a key of the algorithm.
        case unloadableKey
        /// The key file cannot be read.
        case unreadableKeyFile
    }

    let code: Code
    /// What is wrong and how to fix it; never key material.
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}

extension Data {
    /// Decodes unpadded base64url, as JWT parts are written.
    init?(base64URLEncoded text: Substring) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
