import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

@testable import TidingsServer

@Suite("Resuming without gap or duplicate", .timeLimit(.minutes(3)))
struct ResumeTests {
    @Test("rows inserted while the gateway was down all arrive once, in order, after Last-Event-ID")
    func resumeAfterGatewayRestart() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("restart") { database, config in
            let lastSeen = try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                var (_, iterator) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                #expect(try await iterator.next() == .retry(2000))
                try await database.insert(1)
                let first = try #require(try await iterator.nextEvent())
                return try #require(first.id)
            }

            for id in 2...21 { try await database.insert(id) }

            try await LiveGateway.with(config) { live in
                var (response, iterator) = try await openStream(
                    client,
                    "\(live.baseURL)/events?topic=items/**",
                    headers: [("Last-Event-ID", lastSeen)]
                )
                #expect(response.status == .ok)
                var rows: [Int] = []
                var ids: [Int64] = []
                while rows.count < 20 {
                    let event = try #require(try await iterator.nextEvent())
                    ids.append(try #require(Int64(event.id ?? "")))
                    rows.append(try #require(Self.rowID(event.data)))
                }
                #expect(rows == Array(2...21))
                #expect(ids == ids.sorted())
                #expect(Set(ids).count == ids.count)
                // Nothing further is pending: the next event is a new insert, not a repeat.
                try await database.insert(22)
                let next = try #require(try await iterator.nextEvent())
                #expect(Self.rowID(next.data) == 22)
            }
        }
    }

    @Test("a PostgreSQL restart under an open stream loses and repeats nothing")
    func postgresRestartUnderOpenStream() async throws {
        let cluster = try await EphemeralCluster.start(options: .init(durable: false), logger: LiveGateway.logger)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        do {
            let url = try await TestDatabase.with("pgrestart", on: cluster) {
                database,
                config in
                try await LiveGateway.with(config) { live in
                    try await live.waitUntilReady(client: client)
                    var (_, iterator) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                    #expect(try await iterator.next() == .retry(2000))
                    for id in 1...5 { try await database.insert(id) }
                    try await cluster.restart()
                    try await TestDatabase.connect(database.url) { after in
                        for id in 6...10 { try await after.insert(id) }
                    }
                    var rows: [Int] = []
                    while rows.count < 10 {
                        let event = try #require(try await iterator.nextEvent())
                        rows.append(try #require(Self.rowID(event.data)))
                    }
                    #expect(rows == Array(1...10))
                    try await live.waitUntilReady(client: client)
                }
                return database.url
            }
            _ = url
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }

    @Test("a transaction that inserts first but commits last gets the larger id, and a resuming subscriber sees it")
    func lowerStartCommitsLast() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("order") { database, config in
            try await TestDatabase.connect(database.url) { other in
                try await LiveGateway.with(config) { live in
                    try await live.waitUntilReady(client: client)
                    var (_, iterator) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                    #expect(try await iterator.next() == .retry(2000))

                    try await database.execute("BEGIN")
                    try await database.insert(100)  // A inserts first
                    try await other.insert(200)  // B inserts and commits
                    let eventB = try #require(try await iterator.nextEvent())
                    #expect(Self.rowID(eventB.data) == 200)
                    try await database.execute("COMMIT")  // A commits last
                    let eventA = try #require(try await iterator.nextEvent())
                    #expect(Self.rowID(eventA.data) == 100)
                    let idA = try #require(Int64(eventA.id ?? ""))
                    let idB = try #require(Int64(eventB.id ?? ""))
                    #expect(idA > idB)

                    // A client that saw only B resumes and gets A.
                    var (_, resumed) = try await openStream(client, "\(live.baseURL)/events?topic=items/**&last_event_id=\(idB)")
                    #expect(try await resumed.next() == .retry(2000))
                    let replayed = try #require(try await resumed.nextEvent())
                    #expect(replayed.id == eventA.id)
                    #expect(replayed.data == eventA.data)
                }
            }
        }
    }

    /// The `id` column of the row in an event's `new`.
    static func rowID(_ data: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
            let row = object["new"] as? [String: Any]
        else { return nil }
        return row["id"] as? Int
    }
}
