import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("CORS for cors.origins", .timeLimit(.minutes(1)))
struct AuthCORSTests {
    static let origin = "https://app.example"

    static func request(_ url: String, method: HTTPMethod = .GET, _ headers: [(String, String)]) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        return request
    }

    /// Every `Access-Control-*` header of a response.
    static func corsHeaders(_ response: HTTPClientResponse) -> [String] {
        response.headers.map(\.name).filter { $0.lowercased().hasPrefix("access-control-") }
    }

    @Test("an allowed origin gets CORS headers with credentials on a stream and on a 401 error")
    func allowedOrigin() async throws {
        let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"]))
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("cors") { _, config in
            try await LiveGateway.with(try config.with(corsOrigins: [Self.origin])) { live in
                let url = "\(live.baseURL)/events?topic=groups/7/**"
                let (stream, _) = try await openStream(
                    client,
                    url,
                    headers: [("Origin", Self.origin), ("Authorization", "Bearer \(token)")]
                )
                #expect(stream.status == .ok)
                #expect(stream.headers["access-control-allow-origin"] == [Self.origin])
                #expect(stream.headers["access-control-allow-credentials"] == ["true"])
                #expect(stream.headers["vary"].contains("Origin"))

                let refused = try await client.execute(Self.request(url, [("Origin", Self.origin)]), timeout: .seconds(10))
                #expect(refused.headers["access-control-allow-origin"] == [Self.origin])
                #expect(refused.headers["access-control-allow-credentials"] == ["true"])
                #expect(refused.headers["access-control-expose-headers"].first?.contains("WWW-Authenticate") == true)
                try await expectJSONError(refused, status: 401, code: "unauthorized")
            }
        }
    }

    @Test("a preflight from an allowed origin gets 204 with the allowed methods, headers and max age, on every route")
    func preflight() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("preflight") { _, config in
            try await LiveGateway.with(try config.with(corsOrigins: [Self.origin])) { live in
                for path in ["/events?topic=groups/7/**", "/publish", "/changes?topic=groups/7/**"] {
                    let preflight = Self.request(
                        live.baseURL + path,
                        method: .OPTIONS,
                        [
                            ("Origin", Self.origin), ("Access-Control-Request-Method", "GET"),
                            ("Access-Control-Request-Headers", "authorization, last-event-id"),
                        ]
                    )
                    let response = try await client.execute(preflight, timeout: .seconds(10))
                    #expect(response.status == .noContent, "\(path)")
                    #expect(response.headers["access-control-allow-origin"] == [Self.origin])
                    #expect(response.headers["access-control-allow-credentials"] == ["true"])
                    #expect(response.headers["access-control-allow-methods"] == ["GET, POST, OPTIONS"])
                    #expect(
                        response.headers["access-control-allow-headers"] == [
                            "Authorization, Content-Type, Last-Event-ID, If-None-Match, Idempotency-Key"
                        ]
                    )
                    #expect(response.headers["access-control-max-age"] == ["600"])
                    _ = try await response.body.collect(upTo: 1 << 16)
                }
            }
        }
    }

    @Test("a disallowed origin gets no CORS headers, and its preflight a 403 JSON error")
    func disallowedOrigin() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("cors_no") { _, config in
            try await LiveGateway.with(try config.with(public: ["groups/**"], corsOrigins: [Self.origin])) { live in
                let url = "\(live.baseURL)/events?topic=groups/7/**"
                let evil = "https://evil.example"
                let (stream, _) = try await openStream(client, url, headers: [("Origin", evil)])
                #expect(stream.status == .ok)
                #expect(Self.corsHeaders(stream).isEmpty, "\(Self.corsHeaders(stream))")

                let preflight = Self.request(url, method: .OPTIONS, [("Origin", evil), ("Access-Control-Request-Method", "GET")])
                let response = try await client.execute(preflight, timeout: .seconds(10))
                #expect(Self.corsHeaders(response).isEmpty, "\(Self.corsHeaders(response))")
                try await expectJSONError(response, status: 403, code: "origin_not_allowed")
            }
        }
    }

    @Test("with '*', any other origin gets 'Access-Control-Allow-Origin: *' and never credentials; a listed one keeps them")
    func wildcardWithoutCredentials() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("cors_any") { _, config in
            try await LiveGateway.with(try config.with(corsOrigins: ["*", Self.origin])) { live in
                let url = "\(live.baseURL)/events?topic=groups/7/**"
                let any = "https://anything.example:8080"
                let anyone = try await client.execute(Self.request(url, [("Origin", any)]), timeout: .seconds(10))
                #expect(anyone.headers["access-control-allow-origin"] == ["*"])
                #expect(anyone.headers["access-control-allow-credentials"].isEmpty)
                try await expectJSONError(anyone, status: 401, code: "unauthorized")

                let preflight = Self.request(url, method: .OPTIONS, [("Origin", any), ("Access-Control-Request-Method", "GET")])
                let answered = try await client.execute(preflight, timeout: .seconds(10))
                #expect(answered.status == .noContent)
                #expect(answered.headers["access-control-allow-origin"] == ["*"])
                #expect(answered.headers["access-control-allow-credentials"].isEmpty)
                _ = try await answered.body.collect(upTo: 1 << 16)

                let listed = try await client.execute(Self.request(url, [("Origin", Self.origin)]), timeout: .seconds(10))
                #expect(listed.headers["access-control-allow-origin"] == [Self.origin])
                #expect(listed.headers["access-control-allow-credentials"] == ["true"])
                _ = try await listed.body.collect(upTo: 1 << 16)

                let null = try await client.execute(Self.request(url, [("Origin", "null")]), timeout: .seconds(10))
                #expect(Self.corsHeaders(null).isEmpty)
                _ = try await null.body.collect(upTo: 1 << 16)
            }
        }
    }
}
