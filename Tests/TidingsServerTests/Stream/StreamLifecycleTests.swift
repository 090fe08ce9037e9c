import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// A stream's life on its channel's event loop, as its client sees it: live frames and
/// heartbeats between them, a lag replayed from the log with live frames after it, and the end
/// of the response at shutdown, over HTTP/1.1 and HTTP/2.
@Suite("Stream lifecycle", .timeLimit(.minutes(1)))
struct StreamLifecycleTests {
    @Test("an idle stream gets each event as it commits and heartbeats between them")
    func idleStreamRunsOnLoop() async throws {
        let stream = StreamSettings(heartbeat: .milliseconds(200), retry: .seconds(2), maxSelectors: 32, buffer: 64)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("lifecycle", stream: stream) { database, config in
            try await LiveGateway.with(config) { live in
                var (response, messages) = try await Self.openItems(client, live)
                #expect(response.version == .http1_1)

                try await database.insert(1)
                #expect(try await Self.nextRow(&messages) == 1)
                #expect(try await messages.next() == .comment("heartbeat"))
                try await database.insert(2)
                #expect(try await Self.nextRow(&messages) == 2)
                #expect(try await messages.next() == .comment("heartbeat"))
                #expect(live.gateway.hub.testOnlyCutOffCount == 0)
            }
        }
    }

    @Test("a stream that falls behind its buffer replays the gap from the log, then gets live events again")
    func laggingStreamReplaysAndReturns() async throws {
        let stream = StreamSettings(heartbeat: .seconds(30), retry: .seconds(2), maxSelectors: 32, buffer: 8)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("lifecycle", stream: stream) { database, config in
            try await LiveGateway.with(config) { live in
                var (_, messages) = try await Self.openItems(client, live)

                // One commit of 600 rows overflows a buffer of 8 at once.
                try await database.execute("INSERT INTO public.items SELECT g, g % 7, 'n' FROM generate_series(1, 600) g")
                #expect(try await Self.nextRows(600, &messages) == Array(1...600))
                try await database.insert(601)
                #expect(try await Self.nextRow(&messages) == 601)
                #expect(live.gateway.hub.testOnlyCutOffCount == 0)
            }
        }
    }

    @Test("the gateway's shutdown ends a stream with the end of its response")
    func shutdownEndsTheResponse() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        let reader = try await TestDatabase.with("lifecycle") { database, config in
            try await LiveGateway.with(config) { live in
                var (_, messages) = try await Self.openItems(client, live)
                try await database.insert(7)
                #expect(try await Self.nextRow(&messages) == 7)
                // Reads on while the gateway shuts down; a body cut short would throw.
                return Self.eventsUntilEnd(messages)
            }
        }
        #expect(try await reader.value == 0)
    }

    @Test("an HTTP/2 stream gets events, heartbeats and a replayed lag, and the gateway's shutdown ends its response")
    func http2StreamRunsOnLoop() async throws {
        let certificate = try TestCertificate()
        let tls = TLSFiles(certificate: certificate.files.certificate, key: certificate.files.key)
        // A client that takes two heartbeats to read is cut off: a second leaves room for the burst.
        let stream = StreamSettings(heartbeat: .seconds(1), retry: .seconds(2), maxSelectors: 32, buffer: 8)
        let client = try HTTPClient.make(trusting: certificate.certificate.certificatePEM)
        defer { client.shutdown { _ in } }
        let reader = try await TestDatabase.with("lifecycle", tls: tls, stream: stream) { database, config in
            try await LiveGateway.with(config) { live in
                var (response, messages) = try await Self.openItems(client, live)
                #expect(response.version == .http2)

                try await database.insert(1)
                #expect(try await Self.nextRow(&messages) == 1)
                #expect(try await messages.next() == .comment("heartbeat"))
                // A burst past the buffer of 8: the gap comes from the log, then live frames again.
                try await database.execute("INSERT INTO public.items SELECT g, g % 7, 'n' FROM generate_series(2, 300) g")
                #expect(try await Self.nextRows(299, &messages) == Array(2...300))
                try await database.insert(301)
                #expect(try await Self.nextRow(&messages) == 301)
                return Self.eventsUntilEnd(messages)
            }
        }
        #expect(try await reader.value == 0)
    }

    /// Opens a stream on `items/**` and waits until the hub has registered it.
    private static func openItems(
        _ client: HTTPClient,
        _ live: LiveGateway
    ) async throws -> (HTTPClientResponse, SSEMessages.AsyncIterator) {
        try await live.waitUntilReady(client: client)
        var (response, messages) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
        #expect(try await messages.next() == .retry(2000))
        await live.gateway.hub.testOnlyStreamsOpened(reaching: 1)
        return (response, messages)
    }

    /// Reads the rest of the stream in a task; its value is the number of events, and it throws
    /// when the response is cut short instead of ending.
    private static func eventsUntilEnd(_ messages: sending SSEMessages.AsyncIterator) -> Task<Int, any Error> {
        Task {
            var messages = messages
            var events = 0
            while let message = try await messages.next() {
                if case .event = message { events += 1 }
            }
            return events
        }
    }

    /// The row ids of the next `count` events.
    private static func nextRows(_ count: Int, _ messages: inout SSEMessages.AsyncIterator) async throws -> [Int] {
        var rows: [Int] = []
        while rows.count < count { rows.append(try await nextRow(&messages)) }
        return rows
    }

    /// The row id of the next event.
    private static func nextRow(_ messages: inout SSEMessages.AsyncIterator) async throws -> Int {
        let event = try #require(try await messages.nextEvent())
        return try #require(ResumeTests.rowID(event.data))
    }
}
