import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// An HTTP/1.1 stream runs on its connection's event loop after its request's task has returned
/// (``StreamResponseGate`` holds the response's end): the connection must behave as if the
/// request's task had written the whole response itself.
@Suite("HTTP/1.1 streams and their connection", .timeLimit(.minutes(1)))
struct StreamKeepAliveTests {
    private static let health = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    private static func expiringStream(_ token: String, close: Bool = false) -> String {
        let head = "GET /events?topic=groups/7/**&access_token=\(token) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        return head + (close ? "Connection: close\r\n" : "") + "\r\n"
    }

    /// Reads until `done` holds for everything read on this connection so far; throws if the
    /// server closes it first.
    private static func read(
        _ received: inout AsyncStream<ByteBuffer>.AsyncIterator,
        after text: String = "",
        until done: (String) -> Bool
    ) async throws -> String {
        var text = text
        while !done(text) {
            guard let buffer = await received.next() else { throw TestFailure("closed after: \(text)") }
            text += String(buffer: buffer)
        }
        return text
    }

    private static func occurrences(of part: String, in text: String) -> Int {
        text.components(separatedBy: part).count - 1
    }

    @Test("after tidings.expired ends an HTTP/1.1 stream, the same connection answers the next request")
    func connectionReusedAfterExpiry() async throws {
        try await TestDatabase.with("keepalive") { _, config in
            let jwt = JWTSettings(key: .secret(TestConfig.secret), leeway: .zero)
            try await LiveGateway.with(try config.with(jwt: jwt)) { live in
                let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"], expiresIn: 2))
                let connection = try await RawConnection.connect(port: live.port)
                var received = connection.received.makeAsyncIterator()
                try await connection.send(Self.expiringStream(token))
                let stream = try await Self.read(&received) { $0.contains("\r\n0\r\n\r\n") }
                #expect(stream.hasPrefix("HTTP/1.1 200"))
                #expect(stream.contains("event: tidings.expired"))
                #expect(stream.hasSuffix("\r\n0\r\n\r\n"), "nothing after the response's last chunk")
                try await connection.send(Self.health)
                let answer = try await Self.read(&received) { $0.contains(#"{"status":"ok"}"#) }
                #expect(answer.hasPrefix("HTTP/1.1 200"))
                await connection.close()
            }
        }
    }

    @Test("a request pipelined behind an HTTP/1.1 stream is answered after the stream's end, on the same connection")
    func pipelinedRequestWaitsForTheStream() async throws {
        try await TestDatabase.with("pipelined") { _, config in
            let jwt = JWTSettings(key: .secret(TestConfig.secret), leeway: .zero)
            try await LiveGateway.with(try config.with(jwt: jwt)) { live in
                let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"], expiresIn: 2))
                let connection = try await RawConnection.connect(port: live.port)
                var received = connection.received.makeAsyncIterator()
                try await connection.send(Self.expiringStream(token) + Self.health)
                let text = try await Self.read(&received) { $0.contains(#"{"status":"ok"}"#) }
                #expect(Self.occurrences(of: "HTTP/1.1 200", in: text) == 2)
                let streamEnd = try #require(text.range(of: "\r\n0\r\n\r\n"))
                let expired = try #require(text.range(of: "event: tidings.expired"))
                let health = try #require(text.range(of: "HTTP/1.1 200", range: text.index(after: text.startIndex)..<text.endIndex))
                #expect(expired.upperBound <= streamEnd.lowerBound)
                #expect(streamEnd.upperBound == health.lowerBound, "the health response follows the stream's last chunk")
                await connection.close()
            }
        }
    }

    @Test("a stream requested with Connection: close ends its response, then the server closes the connection")
    func connectionCloseStream() async throws {
        try await TestDatabase.with("conn_close") { _, config in
            let jwt = JWTSettings(key: .secret(TestConfig.secret), leeway: .zero)
            try await LiveGateway.with(try config.with(jwt: jwt)) { live in
                let token = try await TestTokens.hmac(TestClaims(subscribe: ["groups/7/**"], expiresIn: 2))
                let connection = try await RawConnection.connect(port: live.port)
                try await connection.send(Self.expiringStream(token, close: true))
                let text = await connection.untilClosed()
                #expect(text.hasPrefix("HTTP/1.1 200"))
                #expect(text.contains("event: tidings.expired"))
                #expect(text.hasSuffix("\r\n0\r\n\r\n"))
            }
        }
    }

    @Test("once an HTTP/1.1 stream's client leaves, its limits.max_anonymous_streams slot is free again")
    func slotReleasedWhenTheClientLeaves() async throws {
        let client = try HTTPClient.make(http1Only: true)
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("slot_release") { _, config in
            var config = config
            config.limits = LimitsSettings(maxAnonymousStreams: 1)
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                let connection = try await RawConnection.connect(port: live.port)
                var received = connection.received.makeAsyncIterator()
                try await connection.send("GET /events?topic=items/** HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                _ = try await Self.read(&received) { $0.contains("retry: 2000") }
                let url = "\(live.baseURL)/events?topic=items/**"
                let refused = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
                #expect(refused.status == .tooManyRequests)
                await connection.close()
                // The gateway learns of the close from its socket, a moment later; each try is a
                // request that the limit either refuses or lets through.
                var status = HTTPResponseStatus.tooManyRequests
                for _ in 0..<200 where status == .tooManyRequests {
                    let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
                    status = response.status
                    if status == .tooManyRequests { try await Task.sleep(for: .milliseconds(25)) }
                }
                #expect(status == .ok)
            }
        }
    }
}
