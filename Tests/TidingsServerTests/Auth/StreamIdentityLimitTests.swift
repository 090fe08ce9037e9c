import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// `auth.max_streams_per_token` counts a token by what it is, not how it is spelled, and
/// counts `/changes?wait=` long polls too.
@Suite("Stream limits keyed by the verified token", .timeLimit(.minutes(1)))
struct StreamIdentityLimitTests {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// The same token with the unused low bit of its signature's last base64url character
    /// flipped: other text, the same signature bytes.
    static func respelled(_ token: String) throws -> String {
        let last = try #require(token.last)
        let index = try #require(alphabet.firstIndex(of: last))
        return String(token.dropLast()) + String(alphabet[index ^ 1])
    }

    @Test("a second spelling of one token's signature counts as that token")
    func respelledSignatureCountsAsSameToken() async throws {
        let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"]))
        let other = try Self.respelled(token)
        #expect(other != token)
        #expect(TokenIdentity(verifiedToken: token) == TokenIdentity(verifiedToken: other))
        let client = try HTTPClient.make(http1Only: true)
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("limit_spelling") { _, config in
            try await LiveGateway.with(try config.with(maxStreamsPerToken: 1)) { live in
                let url = "\(live.baseURL)/events?topic=groups/7/**"
                var (opened, messages) = try await openStream(client, url, headers: [("Authorization", "Bearer \(token)")])
                #expect(opened.status == .ok)
                #expect(try await messages.next() == .retry(2000))
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: "Authorization", value: "Bearer \(other)")
                let refused = try await client.execute(request, timeout: .seconds(10))
                try await expectJSONError(refused, status: 429, code: "too_many_streams")
            }
        }
    }

    @Test("a /changes?wait= long poll holds one of its token's places while it waits")
    func longPollCounts() async throws {
        let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"]))
        let client = try HTTPClient.make(http1Only: true)
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("limit_wait") { _, config in
            try await LiveGateway.with(try config.with(maxStreamsPerToken: 1)) { live in
                try await live.waitUntilReady(client: client)
                let bearer = [("Authorization", "Bearer \(token)")]
                var (opened, messages) = try await openStream(client, "\(live.baseURL)/events?topic=groups/7/**", headers: bearer)
                #expect(opened.status == .ok)
                #expect(try await messages.next() == .retry(2000))
                let poll = try await client.call("\(live.baseURL)/changes?topic=groups/7/**&wait=5s", headers: bearer)
                #expect(poll.status == 429)
                let plain = try await client.call("\(live.baseURL)/changes?topic=groups/7/**", headers: bearer)
                #expect(plain.status == 200)
            }
        }
    }
}
