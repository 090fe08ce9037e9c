import Crypto
import Foundation
import Hummingbird
import JWTKit
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// `auth.jwt.jwks_url`: keys from an identity provider that rotates them.
@Suite("Keys from jwks_url", .timeLimit(.minutes(1)))
struct RemoteKeySetTests {
    static let claims = TestClaims(subscribe: ["groups/7/**"])

    /// A local identity provider: serves whatever key set it holds now, or 500, and counts
    /// the fetches.
    final class Provider: Sendable {
        let jwks = Mutex<String?>(nil)
        let fetches = Mutex(0)
        let (fetched, fetchedContinuation) = AsyncStream.makeStream(of: Int.self)

        func serve(_ keys: [(P256.Signing.PrivateKey, String)]) throws {
            let set = try JSONSerialization.data(withJSONObject: ["keys": keys.map { TestTokens.jwk($0.0.publicKey, kid: $0.1) }])
            jwks.withLock { $0 = String(decoding: set, as: UTF8.self) }
        }

        func with<Result: Sendable>(_ body: (String) async throws -> Result) async throws -> Result {
            let router = Router()
            router.get("jwks.json") { _, _ -> Response in
                let count = self.fetches.withLock {
                    $0 += 1
                    return $0
                }
                self.fetchedContinuation.yield(count)
                guard let json = self.jwks.withLock({ $0 }) else { return Response(status: .internalServerError) }
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
            }
            let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
            let application = Application(
                router: router,
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { portContinuation.yield($0.localAddress?.port ?? 0) },
                logger: LiveGateway.logger
            )
            let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: LiveGateway.logger)
            return try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                defer { tasks.cancelAll() }
                let result = try await body("http://127.0.0.1:\(port)/jwks.json")
                await group.triggerGracefulShutdown()
                return result
            }
        }
    }

    static func token(_ key: P256.Signing.PrivateKey, kid: String) async throws -> String {
        let signing = try ES256PrivateKey(backing: key)
        return try await TestTokens.sign(claims, kid: kid) { await $0.add(ecdsa: signing, kid: JWKIdentifier(string: kid)) }
    }

    @Test("a rotated key verifies without a restart, a withdrawn one stops, a failed fetch keeps the keys, unknown kids are rate-limited")
    func rotation() async throws {
        let provider = Provider()
        let first = P256.Signing.PrivateKey()
        let second = P256.Signing.PrivateKey()
        try provider.serve([(first, "k1")])
        try await provider.with { url in
            let verifier = try await TokenVerifier.load(JWTSettings(algorithm: .es256, key: .jwksURL(url)), logger: LiveGateway.logger)
            let remote = try #require(verifier.remote)
            _ = try await verifier.verify(try await Self.token(first, kid: "k1"))

            // The provider rotates: a token under the new kid makes the gateway fetch again.
            try provider.serve([(second, "k2")])
            _ = try await verifier.verify(try await Self.token(second, kid: "k2"))
            await #expect(throws: APIError.self) { _ = try await verifier.verify(try await Self.token(first, kid: "k1")) }

            // A provider that fails keeps the keys already held.
            provider.jwks.withLock { $0 = nil }
            await remote.fetchLogging(reason: "test")
            _ = try await verifier.verify(try await Self.token(second, kid: "k2"))

            // Made-up kids fetch at most once per interval.
            let before = provider.fetches.withLock { $0 }
            for kid in ["x1", "x2", "x3"] {
                await #expect(throws: APIError.self) { _ = try await verifier.verify(try await Self.token(second, kid: kid)) }
            }
            #expect(provider.fetches.withLock { $0 } - before <= 1)
        }
    }

    @Test("the set is fetched again every jwks_refresh")
    func periodicRefresh() async throws {
        let provider = Provider()
        let key = P256.Signing.PrivateKey()
        try provider.serve([(key, "k1")])
        try await provider.with { url in
            var settings = JWTSettings(algorithm: .es256, key: .jwksURL(url))
            settings.jwksRefresh = .milliseconds(200)
            let verifier = try await TokenVerifier.load(settings, logger: LiveGateway.logger)
            let remote = try #require(verifier.remote)
            await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await remote.run() }
                var fetches = provider.fetched.makeAsyncIterator()
                var count = 0
                while count < 3 { count = await fetches.next() ?? 3 }
                tasks.cancelAll()
            }
            #expect(provider.fetches.withLock { $0 } >= 3)
        }
    }
}
