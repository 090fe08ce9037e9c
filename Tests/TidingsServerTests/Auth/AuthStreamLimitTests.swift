import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("auth.max_streams_per_token", .timeLimit(.minutes(1)))
struct AuthStreamLimitTests {
    @Test("past the limit a token gets 429 too_many_streams; once its stream closes, it may open another")
    func limitAndRelease() async throws {
        let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"]))
        let other = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"], expiresIn: 7200))
        let first = try HTTPClient.make()
        let second = try HTTPClient.make()
        defer {
            first.shutdown { _ in }
            second.shutdown { _ in }
        }
        try await TestDatabase.with("limit") { _, config in
            try await LiveGateway.with(try config.with(maxStreamsPerToken: 1)) { live in
                let url = "\(live.baseURL)/events?topic=groups/7/**"
                let bearer = [("Authorization", "Bearer \(token)")]
                var (opened, messages) = try await openStream(first, url, headers: bearer)
                #expect(opened.status == .ok)
                #expect(try await messages.next() == .retry(2000))

                let refused = try await second.execute(Self.request(url, token: token), timeout: .seconds(10))
                try await expectJSONError(refused, status: 429, code: "too_many_streams", notContaining: token)
                // Refusals hold no slot, and other tokens have their own count.
                let again = try await second.execute(Self.request(url, token: token), timeout: .seconds(10))
                try await expectJSONError(again, status: 429, code: "too_many_streams")
                var (otherStream, otherMessages) = try await openStream(second, url, headers: [("Authorization", "Bearer \(other)")])
                #expect(otherStream.status == .ok)
                #expect(try await otherMessages.next() == .retry(2000))

                // Closing the first client's connection ends its stream on the server, which
                // gives the slot back; the server notices asynchronously, so retry briefly.
                try await first.shutdown()
                var status: HTTPResponseStatus = .tooManyRequests
                for _ in 0..<100 where status == .tooManyRequests {
                    let response = try await second.execute(Self.request(url, token: token), timeout: .minutes(1))
                    status = response.status
                    if status == .tooManyRequests {
                        _ = try await response.body.collect(upTo: 1 << 16)
                        try await Task.sleep(for: .milliseconds(50))
                    } else {
                        var messages = SSEMessages(body: response.body).makeAsyncIterator()
                        #expect(try await messages.next() == .retry(2000))
                    }
                }
                #expect(status == .ok)
            }
        }
    }

    static func request(_ url: String, token: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        return request
    }
}
