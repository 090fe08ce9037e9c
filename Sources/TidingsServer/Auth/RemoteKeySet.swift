import AsyncHTTPClient
import Foundation
import JWTKit
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// The verification keys an identity provider publishes at `auth.jwt.jwks_url`, kept current
/// so that rotating keys there needs no restart here.
///
/// The set is fetched at start, again every `jwks_refresh`, and when a token names a `kid` the
/// set lacks (at most once per ``unknownKeyInterval``, so tokens with made-up `kid`s cannot turn
/// the gateway into a request flood). A failed fetch keeps the keys already held. Each fetch
/// builds a new key collection and swaps it in whole, so keys the provider withdrew stop
/// verifying after the next fetch.
final class RemoteKeySet: Service, Sendable {
    static let unknownKeyInterval: Duration = .seconds(30)
    static let maxBody = 1 << 20

    let url: String
    let refresh: Duration
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var keys = JWTKeyCollection()
        var kids: Set<String> = []
        var lastAttempt: ContinuousClock.Instant?
    }

    init(url: String, refresh: Duration, logger: Logger) {
        self.url = url
        self.refresh = refresh
        self.logger = logger
    }

    /// The keys to verify a token whose header names `kid`, fetched anew first when `kid` is
    /// unknown and the last fetch is old enough.
    func keys(for kid: String?) async -> JWTKeyCollection {
        let shouldFetch = state.withLock { state -> Bool in
            guard let kid, !state.kids.contains(kid) else { return false }
            if let last = state.lastAttempt, ContinuousClock.now < last + Self.unknownKeyInterval { return false }
            state.lastAttempt = .now
            return true
        }
        if shouldFetch { await fetchLogging(reason: "a token names an unknown kid") }
        return state.withLock { $0.keys }
    }

    /// Fetches the set every `refresh` until the gateway stops; retries sooner while no fetch
    /// has worked yet.
    func run() async throws {
        while !Task.isCancelled {
            let loaded = state.withLock { !$0.kids.isEmpty }
            do {
                try await Task.sleep(for: loaded ? refresh : min(refresh, Self.unknownKeyInterval))
            } catch {
                return
            }
            state.withLock { $0.lastAttempt = .now }
            await fetchLogging(reason: "refresh")
        }
    }

    /// Fetches once; a failure is logged and the old keys stay.
    func fetchLogging(reason: String) async {
        do {
            let count = try await fetch()
            logger.info("JWKS loaded", metadata: ["url": "\(url)", "keys": "\(count)", "reason": "\(reason)"])
        } catch {
            logger.error("JWKS fetch failed; keeping the keys held", metadata: ["url": "\(url)", "error": "\(error)"])
        }
    }

    /// Fetches and swaps in the key set; returns how many keys it holds.
    @discardableResult
    func fetch() async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard response.status == .ok else { throw RemoteKeySetError(.unexpectedStatus, "\(url) answered \(response.status.code)") }
        let body = try await response.body.collect(upTo: Self.maxBody)
        let json = String(buffer: body)
        let keys = JWTKeyCollection()
        try await keys.add(jwksJSON: json)
        // A token must name a key of the set; no fallback to a default key.
        _ = await keys.clearDefault()
        let kids = Self.kids(in: json)
        guard !kids.isEmpty else { throw RemoteKeySetError(.noKeys, "\(url) holds no key with a kid") }
        state.withLock {
            $0.keys = keys
            $0.kids = kids
        }
        return kids.count
    }

    private struct KeyIDs: Decodable {
        struct Key: Decodable { var kid: String? }
        var keys: [Key]
    }

    private static func kids(in json: String) -> Set<String> {
        guard let set = try? JSONDecoder().decode(KeyIDs.self, from: Data(json.utf8)) else { return [] }
        return Set(set.keys.compactMap(\.kid))
    }
}

/// Why a JWKS fetch failed; safe to log (it holds no key material).
struct RemoteKeySetError: Error, CustomStringConvertible {
    /// The kind of failure.
    enum Code: String, Sendable {
        /// The identity provider answered with a status other than 200.
        case unexpectedStatus
        /// The key set holds no key with a `kid`.
        case noKeys
    }

    let code: Code
    /// What the fetch got, naming the URL; never key material.
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}
