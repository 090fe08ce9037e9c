import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@testable import TidingsServer

@Suite("Stream requests: heartbeats, errors, readiness", .timeLimit(.minutes(2)))
struct StreamBehaviourTests {
    @Test("an idle stream gets a heartbeat comment within the configured interval")
    func heartbeatOnIdleStream() async throws {
        let stream = StreamSettings(heartbeat: .milliseconds(500), retry: .seconds(2), maxSelectors: 32, buffer: 1024)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("heartbeat", stream: stream) { _, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                var (_, messages) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                #expect(try await messages.next() == .retry(2000))
                var last = ContinuousClock.now
                for _ in 0..<3 {
                    #expect(try await messages.next() == .comment("heartbeat"))
                    let now = ContinuousClock.now
                    // One interval, plus slack for a loaded machine: the point is that they keep coming.
                    #expect(now - last < .milliseconds(500) * 3)
                    last = now
                }
            }
        }
    }

    @Test("bad requests get a 4xx with a JSON error and no stream")
    func badRequests() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("badreq") { _, config in
            try await LiveGateway.with(config) { live in
                let cases: [(String, [(String, String)], Int, String)] = [
                    ("/events", [], 400, "missing_topic"),
                    ("/events?topic=items//x", [], 400, "bad_selector"),
                    ("/events?topic=items/**/x", [], 400, "bad_selector"),
                    ("/events?topic=" + String(repeating: "&topic=a", count: 40).dropFirst(7), [], 400, "too_many_selectors"),
                    ("/events?topic=items/1&last_event_id=abc", [], 400, "bad_last_event_id"),
                    ("/events?topic=items/1", [("Last-Event-ID", "-4")], 400, "bad_last_event_id"),
                    ("/events?topic=secret/**", [], 401, "unauthorized"),
                    ("/events?topic=items/1", [("Authorization", "Bearer not-a-token")], 401, "unauthorized"),
                ]
                for (path, headers, status, code) in cases {
                    var request = HTTPClientRequest(url: live.baseURL + path)
                    for (name, value) in headers { request.headers.add(name: name, value: value) }
                    let response = try await client.execute(request, timeout: .seconds(10))
                    #expect(Int(response.status.code) == status, "\(path)")
                    #expect(response.headers["content-type"].first?.hasPrefix("application/json") == true)
                    let body = try await bodyText(response)
                    let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String]
                    #expect(json?["error"] == code, "\(path): \(body)")
                    #expect(json?["detail"]?.isEmpty == false)
                    if status == 401 { #expect(response.headers["www-authenticate"].first?.hasPrefix("Bearer") == true) }
                    #expect(!body.contains("not-a-token"))
                }
            }
        }
    }

    @Test("with PostgreSQL down, /readyz is 503 but /events opens, and events flow once it is back")
    func servesWhilePostgresIsDown() async throws {
        let cluster = try await EphemeralCluster.start(options: .init(durable: false), logger: LiveGateway.logger)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        do {
            try await TestDatabase.with("down", on: cluster) { database, config in
                try await cluster.stopServer()
                try await LiveGateway.with(config) { live in
                    let ready = try await client.execute(HTTPClientRequest(url: live.baseURL + "/readyz"), timeout: .seconds(10))
                    #expect(ready.status == .serviceUnavailable)
                    let health = try await client.execute(HTTPClientRequest(url: live.baseURL + "/healthz"), timeout: .seconds(10))
                    #expect(health.status == .ok)
                    var (response, messages) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                    #expect(response.status == .ok)
                    #expect(try await messages.next() == .retry(2000))

                    try await cluster.startServer()
                    try await live.waitUntilReady(client: client)
                    try await TestDatabase.connect(database.url) { again in try await again.insert(5) }
                    let event = try #require(try await messages.nextEvent())
                    #expect(ResumeTests.rowID(event.data) == 5)
                }
            }
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}
