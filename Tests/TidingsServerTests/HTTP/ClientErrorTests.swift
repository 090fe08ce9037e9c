import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// Input PostgreSQL refuses is the client's fault: 400 naming the field, never 503 with
/// `Retry-After` (a client would retry it for ever). NUL and control characters never reach it.
@Suite("Client errors answer 4xx, not 503", .timeLimit(.minutes(2)))
struct ClientErrorTests {
    @Test("a publish whose data holds \\u0000 gets 400 naming data, without Retry-After, and logs nothing")
    func nulInDataIs400() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("nul_data") { database, config in
            let config = try config.with()
            let token = try await TestMint.token(subscribe: [], publish: ["chat/**"], config: config)
            let auth = ("Authorization", "Bearer \(token)")
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                let body = #"{"topics":["chat/1"],"event":"message","data":{"text":"a\u0000b"}}"#
                let answer = try await client.call("\(live.baseURL)/publish", method: .POST, headers: [auth], body: body)
                #expect(answer.status == 400)
                #expect(try answer.json["error"] as? String == "bad_value")
                #expect(try (answer.json["detail"] as? String)?.contains("'data'") == true)
                #expect(answer.headers["retry-after"].isEmpty)
                let logged = try await database.connection.query("SELECT count(*)::int FROM tidings.changes", logger: LiveGateway.logger)
                for try await count in logged.decode(Int.self) { #expect(count == 0) }
            }
        }
    }

    @Test("NUL and control characters in a published topic or a requested selector get 400", arguments: ["a%00b", "a%07", "a%1B%5B31m"])
    func controlCharactersRefused(encoded: String) async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("control_chars") { _, config in
            let config = try config.with(public: ["**"])
            let token = try await TestMint.token(subscribe: ["**"], publish: ["**"], config: config)
            let auth = ("Authorization", "Bearer \(token)")
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                let changes = try await client.call("\(live.baseURL)/changes?topic=\(encoded)", headers: [auth])
                #expect(changes.status == 400, "\(changes.body)")
                let events = try await client.execute(
                    HTTPClientRequest(url: "\(live.baseURL)/events?topic=\(encoded)"),
                    timeout: .seconds(10)
                )
                #expect(events.status == .badRequest)
                _ = try await events.body.collect(upTo: 1 << 16)
                let raw = encoded.removingPercentEncoding ?? ""
                let topic = String(data: try JSONSerialization.data(withJSONObject: [raw]), encoding: .utf8) ?? "[]"
                let publish = try await client.call(
                    "\(live.baseURL)/publish",
                    method: .POST,
                    headers: [auth],
                    body: #"{"topics":\#(topic),"event":"message","data":{}}"#
                )
                #expect(publish.status == 400, "\(publish.body)")
                #expect(try publish.json["error"] as? String == "bad_topic")
            }
        }
    }
}
