import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("A token's grant decides exactly what its stream receives", .timeLimit(.minutes(1)))
struct AuthGrantTests {
    /// Customer 7's token: `groups/7/**` and nothing else (the configs have no public topics).
    static func customer7() async throws -> String {
        try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"]))
    }

    /// Reads the next event and returns its row id.
    static func nextRow(_ messages: inout SSEMessages.AsyncIterator) async throws -> Int? {
        let event = try #require(try await messages.nextEvent())
        return ResumeTests.rowID(event.data)
    }

    @Test("customer 7's token asking for everything (**) never sees group 8's rows")
    func otherGroupsNeverArrive() async throws {
        let token = try await Self.customer7()
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("grant") { database, config in
            try await LiveGateway.with(try config.with()) { live in
                try await live.waitUntilReady(client: client)
                var (response, messages) = try await openStream(
                    client,
                    "\(live.baseURL)/events?topic=**",
                    headers: [("Authorization", "Bearer \(token)")]
                )
                #expect(response.status == .ok)
                #expect(try await messages.next() == .retry(2000))
                // Group 8's rows commit first: had one been delivered, it would come first.
                try await database.insert(801, group: 8)
                try await database.insert(701, group: 7)
                #expect(try await Self.nextRow(&messages) == 701)
                try await database.insert(802, group: 8)
                try await database.insert(702, group: 7)
                #expect(try await Self.nextRow(&messages) == 702)
            }
        }
    }

    @Test("a selector outside the grant is refused before streaming: 403 with a token, 401 without")
    func refusedSelector() async throws {
        let token = try await Self.customer7()
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("refuse") { _, config in
            try await LiveGateway.with(try config.with()) { live in
                let url = "\(live.baseURL)/events?topic=groups/8/**"
                var withToken = HTTPClientRequest(url: url)
                withToken.headers.add(name: "Authorization", value: "Bearer \(token)")
                let forbidden = try await client.execute(withToken, timeout: .seconds(10))
                let detail = try await expectJSONError(forbidden, status: 403, code: "forbidden", notContaining: token)
                #expect(detail.contains("groups/8/**"))

                let anonymous = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
                #expect(anonymous.headers["www-authenticate"].first?.hasPrefix("Bearer") == true)
                try await expectJSONError(anonymous, status: 401, code: "unauthorized")

                // One refused selector refuses the whole request.
                var mixed = HTTPClientRequest(url: "\(live.baseURL)/events?topic=groups/7/**&topic=groups/8/items")
                mixed.headers.add(name: "Authorization", value: "Bearer \(token)")
                try await expectJSONError(try await client.execute(mixed, timeout: .seconds(10)), status: 403, code: "forbidden")
            }
        }
    }

    @Test("groups/*/items with a grant of groups/7/** is allowed and delivers group 7's rows only")
    func wildcardNarrowedByGrant() async throws {
        let token = try await Self.customer7()
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("narrow") { database, config in
            try await LiveGateway.with(try config.with()) { live in
                try await live.waitUntilReady(client: client)
                var (response, messages) = try await openStream(
                    client,
                    "\(live.baseURL)/events?topic=groups/*/items",
                    headers: [("Authorization", "Bearer \(token)")]
                )
                #expect(response.status == .ok)
                #expect(try await messages.next() == .retry(2000))
                try await database.insert(801, group: 8)
                try await database.insert(701, group: 7)
                #expect(try await Self.nextRow(&messages) == 701)
                try await database.insert(802, group: 8)
                try await database.insert(702, group: 7)
                #expect(try await Self.nextRow(&messages) == 702)
            }
        }
    }
}
