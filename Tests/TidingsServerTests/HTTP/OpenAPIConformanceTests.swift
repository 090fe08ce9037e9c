import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("openapi.yaml describes what the gateway answers", .timeLimit(.minutes(3)))
struct OpenAPIConformanceTests {
    @Test("every status and content type of a tour through all endpoints is in openapi.yaml, and every operation is toured")
    func answersMatchTheDocument() async throws {
        let document = try OpenAPIDocument()
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("openapi") { database, config in
            var config = try config.with(public: ["items/**"], maxStreamsPerToken: 1, corsOrigins: ["https://app.example.com"])
            config.publish.maxBody = 128
            let token = try await TestMint.token(subscribe: ["chat/**"], publish: ["chat/**"], config: config)
            let auth = ("Authorization", "Bearer \(token)")
            try await database.insert(1)
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                let base = live.baseURL
                var toured: [(method: String, path: String, status: Int, contentType: String?)] = []
                func visit(
                    _ method: HTTPMethod,
                    _ path: String,
                    _ query: String = "",
                    headers: [(String, String)] = [],
                    body: String? = nil
                )
                    async throws
                {
                    let answer = try await client.call(base + path + query, method: method, headers: headers, body: body)
                    toured.append((method.rawValue, path, answer.status, answer.headers["content-type"].first))
                }

                // A stream's status and headers, without waiting for its end.
                var (stream, events) = try await openStream(client, base + "/events?topic=chat/**", headers: [auth])
                #expect(try await events.next() == .retry(2000))
                toured.append(("GET", "/events", Int(stream.status.code), stream.headers["content-type"].first))
                try await visit(.GET, "/events", "?topic=chat/**", headers: [auth])  // 429: the token's one stream is open
                try await visit(.GET, "/events", "?topic=a//b")
                try await visit(.GET, "/events", "?topic=secret/**")
                try await visit(.GET, "/events", "?topic=secret/**", headers: [auth])
                try await visit(
                    .OPTIONS,
                    "/events",
                    headers: [("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "GET")]
                )
                try await visit(
                    .OPTIONS,
                    "/events",
                    headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")]
                )

                try await visit(.GET, "/changes", "?topic=items/**&after=0")
                let first = try await client.call(base + "/changes?topic=items/**&after=0")
                try await visit(
                    .GET,
                    "/changes",
                    "?topic=items/**&after=0",
                    headers: [("If-None-Match", first.headers["etag"].first ?? "")]
                )
                try await visit(.GET, "/changes", "?topic=items/**&limit=5000")
                try await visit(.GET, "/changes", "?topic=secret/**")
                try await visit(.GET, "/changes", "?topic=secret/**", headers: [auth])

                try await visit(.GET, "/rows", "?table=items&topic=items/**")
                try await visit(.GET, "/rows", "?table=items&topic=items/**&limit=0")
                try await visit(.GET, "/rows", "?table=secrets&topic=items/**")
                try await visit(.GET, "/rows", "?table=items&topic=secret/**")
                try await visit(.GET, "/rows", "?table=items&topic=secret/**", headers: [auth])

                let body = #"{"topics":["chat/1"],"event":"message","data":{}}"#
                let keyed = [auth, ("Idempotency-Key", "tour-1")]
                try await visit(.POST, "/publish", headers: keyed, body: body)
                try await visit(.POST, "/publish", headers: keyed, body: body)
                try await visit(.POST, "/publish", headers: keyed, body: #"{"topics":["chat/2"],"event":"message","data":{}}"#)
                try await visit(.POST, "/publish", headers: [auth], body: body)
                try await visit(.POST, "/publish", headers: [auth], body: "{")
                try await visit(.POST, "/publish", body: body)
                try await visit(.POST, "/publish", headers: [auth], body: #"{"topics":["news/1"],"event":"m","data":{}}"#)
                try await visit(.POST, "/publish", headers: [auth], body: String(repeating: " ", count: 200) + body)

                try await visit(.GET, "/healthz")
                try await visit(.GET, "/readyz")
                try await visit(.GET, "/metrics")
                _ = stream

                for answer in toured {
                    let types = document.mediaTypes(answer.method, answer.path, status: answer.status)
                    #expect(types != nil, "\(answer.method) \(answer.path) → \(answer.status) is not in openapi.yaml")
                    guard let types else { continue }
                    if types.isEmpty {
                        #expect(answer.contentType == nil, "\(answer.method) \(answer.path) → \(answer.status) has a body")
                    } else {
                        let type = answer.contentType.map(OpenAPIDocument.baseType) ?? "none"
                        #expect(types.contains(type), "\(answer.method) \(answer.path) → \(answer.status): \(type) not in \(types)")
                    }
                }
                let statuses = Set(toured.map { "\($0.method) \($0.path) \($0.status)" })
                for expected in [
                    "GET /events 200", "GET /events 429", "GET /events 400", "GET /events 401", "GET /events 403", "OPTIONS /events 204",
                    "OPTIONS /events 403", "GET /changes 200", "GET /changes 304", "GET /changes 400", "GET /changes 401",
                    "GET /changes 403", "POST /publish 201", "POST /publish 400", "POST /publish 401", "POST /publish 403",
                    "POST /publish 413", "POST /publish 200", "POST /publish 409", "GET /rows 200", "GET /rows 400", "GET /rows 401",
                    "GET /rows 403", "GET /rows 404", "GET /healthz 200", "GET /readyz 200", "GET /metrics 200",
                ] {
                    #expect(statuses.contains(expected), "the tour never saw \(expected)")
                }
                let touredOperations = Set(toured.map { "\($0.method) \($0.path)" })
                #expect(
                    document.operations.subtracting(touredOperations).subtracting(["OPTIONS /changes", "OPTIONS /publish", "OPTIONS /rows"])
                        .isEmpty
                )
            }
        }
    }
}
