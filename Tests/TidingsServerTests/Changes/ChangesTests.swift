import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("GET /changes: polling the log", .timeLimit(.minutes(3)))
struct ChangesTests {
    @Test("polling returns exactly the events a stream delivers: same ids, same filter, byte-equal data")
    func pollingMatchesTheStream() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("changes_match") { database, config in
            let config = try config.with()
            let token = try await TestMint.token(subscribe: ["groups/1/**", "items/5"], config: config)
            let query = "topic=groups/*/items&topic=items/5"
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                var (_, stream) = try await openStream(
                    client,
                    "\(live.baseURL)/events?\(query)",
                    headers: [("Authorization", "Bearer \(token)")]
                )
                #expect(try await stream.next() == .retry(2000))
                // Group 1 is granted; item 5 (group 2) is granted by name; group 2's others are not.
                for (id, group) in [(1, 1), (2, 2), (3, 1), (4, 2), (5, 2), (6, 1)] { try await database.insert(id, group: group) }
                try await database.execute("UPDATE public.items SET note = 'changed' WHERE id = 1")
                var streamed: [(id: String?, name: String?, data: String)] = []
                while streamed.count < 5 { streamed.append(try #require(try await stream.nextEvent())) }

                let answer = try await client.call(
                    "\(live.baseURL)/changes?\(query)&after=0",
                    headers: [("Authorization", "Bearer \(token)")]
                )
                #expect(answer.status == 200)
                #expect(answer.headers["content-type"].first?.hasPrefix("application/json") == true)
                let polled = try changeEvents(answer)
                #expect(polled.map { String($0.id) } == streamed.map { $0.id ?? "" })
                #expect(polled.map(\.event) == streamed.map { $0.name ?? "" })
                for event in streamed {
                    #expect(answer.body.contains(#"{"id":\#(event.id ?? ""),"event":"\#(event.name ?? "")","data":\#(event.data)}"#))
                }
                #expect((try answer.json["next"] as? NSNumber)?.int64Value == polled.last?.id)
            }
        }
    }

    @Test("limit pages through the log; next never goes back; after, limit and wait are validated")
    func pagingAndValidation() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("changes_paging") { database, config in
            try await LiveGateway.with(config) { live in
                for id in 1...5 { try await database.insert(id) }
                var after: Int64 = 0
                var seen: [Int64] = []
                for _ in 0..<4 {
                    let answer = try await client.call("\(live.baseURL)/changes?topic=items/**&after=\(after)&limit=2")
                    #expect(answer.status == 200)
                    let ids = try changeEvents(answer).map(\.id)
                    seen += ids
                    let next = try #require((try answer.json["next"] as? NSNumber)?.int64Value)
                    #expect(next >= after)
                    #expect(ids.count <= 2)
                    after = next
                }
                #expect(seen.count == 5)
                #expect(seen == seen.sorted() && Set(seen).count == 5)

                for (query, code) in [
                    ("after=-1", "bad_after"), ("after=x", "bad_after"), ("limit=0", "bad_limit"), ("limit=1001", "bad_limit"),
                    ("wait=61s", "bad_wait"), ("wait=soon", "bad_wait"),
                ] {
                    let answer = try await client.call("\(live.baseURL)/changes?topic=items/**&\(query)")
                    #expect(answer.status == 400, "\(query)")
                    #expect(try answer.json["error"] as? String == code, "\(query)")
                }
                let missing = try await client.call("\(live.baseURL)/changes?after=0")
                #expect(try missing.json["error"] as? String == "missing_topic")
                let refused = try await client.call("\(live.baseURL)/changes?topic=secret/**")
                #expect(refused.status == 401)
                #expect(refused.headers["www-authenticate"].first?.hasPrefix("Bearer") == true)
            }
        }
    }

    @Test("the same poll with If-None-Match gets 304 until a matching event commits")
    func conditionalPolling() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("changes_etag") { database, config in
            try await LiveGateway.with(config) { live in
                try await database.insert(1, group: 1)
                let url = "\(live.baseURL)/changes?topic=groups/1/items&after=0"
                let first = try await client.call(url)
                let etag = try #require(first.headers["etag"].first)
                #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))

                let again = try await client.call(url, headers: [("If-None-Match", etag)])
                #expect(again.status == 304)
                #expect(again.body.isEmpty)
                // An event outside the selectors changes nothing.
                try await database.insert(2, group: 2)
                #expect(try await client.call(url, headers: [("If-None-Match", etag)]).status == 304)

                try await database.insert(3, group: 1)
                let changed = try await client.call(url, headers: [("If-None-Match", etag)])
                #expect(changed.status == 200)
                #expect(changed.headers["etag"].first != etag)
                #expect(try changeEvents(changed).count == 2)
            }
        }
    }

    @Test("wait long-polls: it answers when a matching event commits, and empty at its deadline")
    func longPoll() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("changes_wait") { database, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                try await database.insert(1, group: 1)
                let head = try await client.call("\(live.baseURL)/changes?topic=groups/1/items")
                let after = try #require((try head.json["next"] as? NSNumber)?.int64Value)

                let started = ContinuousClock.now
                async let polled = client.call("\(live.baseURL)/changes?topic=groups/1/items&after=\(after)&wait=50s")
                // The poll is open before the commits: the gateway counts it as a subscriber.
                await Self.waitForSubscribers(1, live: live)
                try await database.insert(2, group: 2)
                try await database.insert(3, group: 1)
                let answer = try await polled
                #expect(answer.status == 200)
                #expect(try changeEvents(answer).count == 1)
                #expect(ContinuousClock.now - started < .seconds(40))

                let empty = try await client.call("\(live.baseURL)/changes?topic=groups/9/items&after=\(after)&wait=1s")
                #expect(empty.status == 200)
                #expect(try changeEvents(empty).isEmpty)
                #expect((try empty.json["next"] as? NSNumber)?.int64Value == after)
            }
        }
    }

    /// Returns once `count` streams or `/changes` waits have registered with the hub.
    static func waitForSubscribers(_ count: Int, live: LiveGateway) async {
        await live.gateway.hub.testOnlyStreamsOpened(reaching: count)
    }
}
