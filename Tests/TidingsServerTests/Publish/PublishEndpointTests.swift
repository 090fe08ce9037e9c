import AsyncHTTPClient
import Foundation
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("POST /publish", .timeLimit(.minutes(3)))
struct PublishEndpointTests {
    static let body = #"{"topics":["chat/42"],"event":"message","data":{"text":"hi","n":1.5,"ok":true,"none":null}}"#

    @Test("with publish rights: 201 with the id, and the event reaches a stream and /changes under that id")
    func publishReachesSubscribers() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("publish_ok") { _, config in
            let config = try config.with()
            let token = try await TestMint.token(subscribe: ["chat/**"], publish: ["chat/**"], config: config)
            let auth = ("Authorization", "Bearer \(token)")
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                var (_, stream) = try await openStream(client, "\(live.baseURL)/events?topic=chat/42", headers: [auth])
                #expect(try await stream.next() == .retry(2000))

                let answer = try await client.call("\(live.baseURL)/publish", method: .POST, headers: [auth], body: Self.body)
                #expect(answer.status == 201)
                let id = try #require((try answer.json["id"] as? NSNumber)?.int64Value)

                let event = try #require(try await stream.nextEvent())
                #expect(event.id == String(id))
                #expect(event.name == "message")
                let data = try #require(try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])
                #expect((data["id"] as? NSNumber)?.int64Value == id)
                #expect(data["topics"] as? [String] == ["chat/42"])
                #expect(data["event"] as? String == "message")
                #expect(data["at"] is String)
                let payload = try #require(data["data"] as? [String: Any])
                #expect(payload["text"] as? String == "hi")
                #expect(payload["none"] is NSNull)

                let polled = try await client.call("\(live.baseURL)/changes?topic=chat/**&after=\(id - 1)", headers: [auth])
                #expect(try changeEvents(polled).map(\.id) == [id])
            }
        }
    }

    @Test("no token: 401; a topic outside the publish rights: 403; nothing is logged")
    func publishNeedsRights() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("publish_rights") { database, config in
            let config = try config.with()
            let subscriber = try await TestMint.token(subscribe: ["chat/**"], config: config)
            let narrow = try await TestMint.token(subscribe: [], publish: ["chat/1"], config: config)
            try await LiveGateway.with(config) { live in
                let url = "\(live.baseURL)/publish"
                let anonymous = try await client.call(url, method: .POST, body: Self.body)
                #expect(anonymous.status == 401)
                #expect(anonymous.headers["www-authenticate"].first?.hasPrefix("Bearer") == true)
                let readOnly = try await client.call(
                    url,
                    method: .POST,
                    headers: [("Authorization", "Bearer \(subscriber)")],
                    body: Self.body
                )
                #expect(readOnly.status == 403)
                #expect(try readOnly.json["error"] as? String == "forbidden")
                let partly = #"{"topics":["chat/1","chat/42"],"event":"message","data":{}}"#
                let refused = try await client.call(url, method: .POST, headers: [("Authorization", "Bearer \(narrow)")], body: partly)
                #expect(refused.status == 403)
                #expect(try refused.json["detail"] as? String == "this token may not publish to topic 'chat/42'")
                #expect(try await Self.loggedCount(database) == 0)
            }
        }
    }

    @Test("bad bodies get 400 with a JSON error, oversized ones 413, and nothing is logged")
    func badBodies() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("publish_bad") { database, config in
            var config = try config.with()
            config.publish.maxBody = 256
            let token = try await TestMint.token(subscribe: [], publish: ["**"], config: config)
            let auth = ("Authorization", "Bearer \(token)")
            try await LiveGateway.with(config) { live in
                let url = "\(live.baseURL)/publish"
                let cases: [(String, String)] = [
                    ("not json", "bad_body"),
                    (#"["chat/1"]"#, "bad_body"),
                    (#"{"event":"m","data":{}}"#, "bad_body"),
                    (#"{"topics":["chat/1"],"event":"m"}"#, "bad_body"),
                    (#"{"topics":"chat/1","event":"m","data":{}}"#, "bad_body"),
                    (#"{"topics":[],"event":"m","data":{}}"#, "bad_topics"),
                    (#"{"topics":["chat/*"],"event":"m","data":{}}"#, "bad_topic"),
                    (#"{"topics":["chat//1"],"event":"m","data":{}}"#, "bad_topic"),
                    (#"{"topics":["chat/1"],"event":"","data":{}}"#, "bad_event"),
                    (#"{"topics":["chat/1"],"event":"two words","data":{}}"#, "bad_event"),
                    (#"{"topics":["chat/1"],"event":"tidings.reset","data":{}}"#, "bad_event"),
                    // A captured table's event name: a publish may not pose as a row change.
                    (#"{"topics":["items/1"],"event":"items.update","data":{}}"#, "bad_event"),
                ]
                for (body, code) in cases {
                    let answer = try await client.call(url, method: .POST, headers: [auth], body: body)
                    #expect(answer.status == 400, "\(body)")
                    #expect(try answer.json["error"] as? String == code, "\(body)")
                }
                let large = #"{"topics":["chat/1"],"event":"m","data":{"text":"\#(String(repeating: "x", count: 300))"}}"#
                let tooLarge = try await client.call(url, method: .POST, headers: [auth], body: large)
                #expect(tooLarge.status == 413)
                #expect(try tooLarge.json["error"] as? String == "body_too_large")
                #expect(try await Self.loggedCount(database) == 0)
            }
        }
    }

    @Test("tidings.publish() in an application transaction is delivered after its commit, never after a rollback")
    func transactionalOutbox() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("publish_tx") { database, config in
            try await LiveGateway.with(try config.with(public: ["chat/**"])) { live in
                try await live.waitUntilReady(client: client)
                var (_, stream) = try await openStream(client, "\(live.baseURL)/events?topic=chat/**")
                #expect(try await stream.next() == .retry(2000))
                try await TestDatabase.connect(database.url) { other in
                    let publish = { (name: String) in "SELECT tidings.publish(ARRAY['chat/1'], '\(name)', '{}'::jsonb)" }
                    try await database.execute("BEGIN")
                    try await database.execute(publish("rolled-back"))
                    try await other.execute(publish("marker-1"))
                    try await database.execute("ROLLBACK")
                    try await database.execute("BEGIN")
                    try await database.execute(publish("committed"))
                    // Committed while the transaction above is still open: it must come first.
                    try await other.execute(publish("marker-2"))
                    try await database.execute("COMMIT")
                    try await other.execute(publish("marker-3"))
                }
                var names: [String] = []
                while names.count < 4 { names.append(try #require(try await stream.nextEvent()?.name)) }
                #expect(names == ["marker-1", "marker-2", "committed", "marker-3"])
            }
        }
    }

    static func loggedCount(_ database: TestDatabase) async throws -> Int {
        let rows = try await database.connection.query("SELECT count(*)::int8 FROM tidings.changes", logger: LiveGateway.logger)
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return -1
    }
}
