import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// SPEC §2 `limits`: half-open, slow and surplus connections are closed; real streams stay.
@Suite("Connection limits and timeouts", .timeLimit(.minutes(1)))
struct ConnectionLimitTests {
    static func limited(_ config: TidingsConfig, _ limits: LimitsSettings) -> TidingsConfig {
        var config = config
        config.limits = limits
        return config
    }

    @Test("a client that sends half a request head is closed after limits.request_head, though idle is longer")
    func slowHeaderClosed() async throws {
        try await TestDatabase.with("slow_header") { _, config in
            let config = Self.limited(config, LimitsSettings(requestHead: .seconds(1), idle: .seconds(60)))
            try await LiveGateway.with(config) { live in
                // The server's deadline runs from its accept, which comes after this, not after
                // connect returns: on a busy machine that can be 150 ms later.
                let started = ContinuousClock.now
                let connection = try await RawConnection.connect(port: live.port)
                try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n")
                _ = await connection.untilClosed()
                #expect(ContinuousClock.now - started >= .milliseconds(900))
                #expect(!connection.channel.isActive)
            }
        }
    }

    @Test("a silent TCP connection to the TLS port is closed after limits.tls_handshake")
    func silentTLSConnectionClosed() async throws {
        let certificate = try TestCertificate()
        let tls = TLSFiles(certificate: certificate.files.certificate, key: certificate.files.key)
        try await TestDatabase.with("silent_tls", tls: tls) { _, config in
            let config = Self.limited(config, LimitsSettings(requestHead: .seconds(60), tlsHandshake: .seconds(1), idle: .seconds(60)))
            try await LiveGateway.with(config) { live in
                let connection = try await RawConnection.connect(port: live.port)
                let started = ContinuousClock.now
                _ = await connection.untilClosed()
                #expect(ContinuousClock.now - started >= .milliseconds(900))
            }
        }
    }

    @Test("a silent TCP connection to a plain HTTP port is closed after limits.request_head")
    func silentPlainConnectionClosed() async throws {
        try await TestDatabase.with("silent_plain") { _, config in
            let config = Self.limited(config, LimitsSettings(requestHead: .seconds(1), idle: .seconds(60)))
            try await LiveGateway.with(config) { live in
                let connection = try await RawConnection.connect(port: live.port)
                _ = await connection.untilClosed()
                #expect(!connection.channel.isActive)
            }
        }
    }

    @Test("an idle keep-alive connection is closed after limits.idle")
    func idleKeepAliveClosed() async throws {
        try await TestDatabase.with("idle") { _, config in
            let config = Self.limited(config, LimitsSettings(requestHead: .seconds(60), idle: .seconds(1)))
            try await LiveGateway.with(config) { live in
                let connection = try await RawConnection.connect(port: live.port)
                try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let answer = await connection.untilClosed()
                #expect(answer.hasPrefix("HTTP/1.1 200"))
            }
        }
    }

    @Test("a stream older than limits.idle stays open, over HTTP/1.1 and HTTP/2", arguments: [false, true])
    func streamOutlivesIdle(http2: Bool) async throws {
        let certificate = try TestCertificate()
        let tls = TLSFiles(certificate: certificate.files.certificate, key: certificate.files.key)
        let stream = StreamSettings(heartbeat: .milliseconds(700), retry: .seconds(2), maxSelectors: 32, buffer: 1024)
        try await TestDatabase.with("stream_idle", tls: http2 ? tls : nil, stream: stream) { database, config in
            let config = Self.limited(config, LimitsSettings(requestHead: .seconds(1), tlsHandshake: .seconds(1), idle: .seconds(1)))
            try await LiveGateway.with(config) { live in
                // Readiness on a connection of its own: a connection left idle past the 1 s limit
                // between the readiness check and the stream would be closed, rightly, and the
                // stream refused.
                let probe = try HTTPClient.make(trusting: http2 ? certificate.certificate.certificatePEM : nil, http1Only: !http2)
                defer { probe.shutdown { _ in } }
                try await live.waitUntilReady(client: probe)
                let client = try HTTPClient.make(trusting: http2 ? certificate.certificate.certificatePEM : nil, http1Only: !http2)
                defer { client.shutdown { _ in } }
                var (response, messages) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                #expect(response.status == .ok)
                #expect(response.version == (http2 ? .http2 : .http1_1))
                #expect(try await messages.next() == .retry(2000))
                // Four heartbeats 0.7 s apart: the stream has lived well past the 1 s idle limit.
                for _ in 0..<4 {
                    #expect(try await messages.next() == .comment("heartbeat"))
                }
                try await database.insert(5)
                let event = try #require(try await messages.nextEvent())
                #expect(event.name == "items.insert")
            }
        }
    }

    @Test("past limits.max_connections a new connection is closed at once; the open ones stay")
    func maxConnections() async throws {
        try await TestDatabase.with("max_conn") { _, config in
            let config = Self.limited(config, LimitsSettings(requestHead: .seconds(30), idle: .seconds(30), maxConnections: 2))
            try await LiveGateway.with(config) { live in
                let first = try await RawConnection.connect(port: live.port)
                let second = try await RawConnection.connect(port: live.port)
                // The server has taken both once each answers a request.
                for connection in [first, second] {
                    try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    var iterator = connection.received.makeAsyncIterator()
                    let answer = await iterator.next().map { String(buffer: $0) } ?? ""
                    #expect(answer.hasPrefix("HTTP/1.1 200"))
                }
                let third = try await RawConnection.connect(port: live.port)
                let started = ContinuousClock.now
                let answer = await third.untilClosed()
                #expect(answer.isEmpty)
                #expect(ContinuousClock.now - started < .seconds(10))
                #expect(first.channel.isActive && second.channel.isActive)
                await first.close()
                await second.close()
            }
        }
    }

    @Test("past limits.max_anonymous_streams a stream without a token gets 429; one with a token still opens")
    func maxAnonymousStreams() async throws {
        let client = try HTTPClient.make(http1Only: true)
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("max_anon") { _, config in
            let config = Self.limited(config, LimitsSettings(maxAnonymousStreams: 1))
            let token = try await TestMint.token(subscribe: ["items/**"], config: config)
            try await LiveGateway.with(config) { live in
                let url = "\(live.baseURL)/events?topic=items/**"
                var (first, messages) = try await openStream(client, url)
                #expect(first.status == .ok)
                #expect(try await messages.next() == .retry(2000))
                let second = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
                try await expectJSONError(second, status: 429, code: "too_many_streams")
                let (withToken, _) = try await openStream(client, url, headers: [("Authorization", "Bearer \(token)")])
                #expect(withToken.status == .ok)
            }
        }
    }

    @Test("a /publish body that does not arrive within limits.request_head gets 408")
    func publishBodyDeadline() async throws {
        try await TestDatabase.with("body_deadline") { _, config in
            let config = Self.limited(try config.with(), LimitsSettings(requestHead: .seconds(1), idle: .seconds(60)))
            let token = try await TestMint.token(subscribe: [], publish: ["chat/**"], config: config)
            try await LiveGateway.with(config) { live in
                let connection = try await RawConnection.connect(port: live.port)
                try await connection.send(
                    "POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                        + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"topics\":"
                )
                var iterator = connection.received.makeAsyncIterator()
                let answer = await iterator.next().map { String(buffer: $0) } ?? ""
                #expect(answer.hasPrefix("HTTP/1.1 408"))
                #expect(answer.contains("body_timeout"))
                await connection.close()
            }
        }
    }
}
