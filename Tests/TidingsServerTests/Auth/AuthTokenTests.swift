import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("Where tokens come from and when they end", .timeLimit(.minutes(1)))
struct AuthTokenTests {
    @Test("a stream ends with tidings.expired when its token expires, then the connection closes")
    func expiryEndsTheStream() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("expiry") { _, config in
            let jwt = JWTSettings(key: .secret(TestConfig.secret), leeway: .zero)
            try await LiveGateway.with(try config.with(jwt: jwt)) { live in
                // Minted just before use: the database and gateway take a moment to start.
                let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"], expiresIn: 2))
                var (response, messages) = try await openStream(
                    client,
                    "\(live.baseURL)/events?topic=groups/7/**",
                    headers: [("Authorization", "Bearer \(token)")]
                )
                #expect(response.status == .ok)
                #expect(try await messages.next() == .retry(2000))
                let ending = try #require(try await messages.nextEvent())
                #expect(ending.name == "tidings.expired")
                #expect(ending.data == #"{"reason":"token expired"}"#)
                #expect(ending.id == nil)
                while let message = try await messages.next() {
                    if case .event = message { Issue.record("an event after tidings.expired: \(message)") }
                }
            }
        }
    }

    @Test("the Authorization header, the access_token parameter and the tidings_token cookie each open a stream")
    func tokenForms() async throws {
        let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"]))
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("forms") { database, config in
            try await LiveGateway.with(try config.with()) { live in
                try await live.waitUntilReady(client: client)
                let url = "\(live.baseURL)/events?topic=groups/7/**"
                let forms: [(String, String, [(String, String)])] = [
                    ("header", url, [("Authorization", "Bearer \(token)")]),
                    ("query", url + "&access_token=\(token)", []),
                    ("cookie", url, [("Cookie", "theme=dark; tidings_token=\(token)")]),
                ]
                var streams: [(String, SSEMessages.AsyncIterator)] = []
                for (form, url, headers) in forms {
                    var (response, messages) = try await openStream(client, url, headers: headers)
                    #expect(response.status == .ok, "\(form)")
                    #expect(try await messages.next() == .retry(2000), "\(form)")
                    streams.append((form, messages))
                }
                try await database.insert(701, group: 7)
                for (form, var messages) in streams {
                    let event = try #require(try await messages.nextEvent(), "\(form)")
                    #expect(ResumeTests.rowID(event.data) == 701, "\(form)")
                }
            }
        }
    }

    @Test("tidings token mints a token the gateway accepts for its selectors")
    func tokenCommand() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("cli_token") { database, config in
            let file = try TidingsBinary.writeTemporary(
                """
                listen: "127.0.0.1:8443"
                tls: off
                postgres:
                  url: "postgres://\(database.url.user)@\(database.url.host):\(database.url.port)/\(database.url.database)?sslmode=disable"
                auth:
                  jwt:
                    secret: "\(TestConfig.secret)"
                topics:
                  - table: public.items
                    topics: ["items/{id}", "groups/{group_id}/items"]
                """
            )
            let result = try await TidingsBinary.run(["token", "--config", file, "--subscribe", "groups/7/**", "--ttl", "1h"])
            #expect(result.status == 0, "\(result.stderr)")
            let token = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.split(separator: ".").count == 3)

            try await LiveGateway.with(try config.with()) { live in
                try await live.waitUntilReady(client: client)
                var (response, messages) = try await openStream(
                    client,
                    "\(live.baseURL)/events?topic=groups/7/**",
                    headers: [("Authorization", "Bearer \(token)")]
                )
                #expect(response.status == .ok)
                #expect(try await messages.next() == .retry(2000))
                try await database.insert(701, group: 7)
                #expect(ResumeTests.rowID(try #require(try await messages.nextEvent()).data) == 701)

                var outside = HTTPClientRequest(url: "\(live.baseURL)/events?topic=groups/8/**")
                outside.headers.add(name: "Authorization", value: "Bearer \(token)")
                try await expectJSONError(try await client.execute(outside, timeout: .seconds(10)), status: 403, code: "forbidden")
            }
        }
    }
}
