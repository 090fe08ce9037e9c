import AsyncHTTPClient
import Foundation
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("Live delivery interleaved with heartbeats", .timeLimit(.minutes(2)))
struct LiveDeliveryTests {
    @Test("2,000 rows in 200 commits reach two streams once each, in order, with heartbeats every 100 ms between them")
    func liveFramesAndWriterInterleave() async throws {
        // Live frames and heartbeats reach the same socket from the hub's deliveries and from the
        // heartbeat clock; a heartbeat this short makes the two take turns often.
        let stream = StreamSettings(heartbeat: .milliseconds(100), retry: .seconds(2), maxSelectors: 32, buffer: 64)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("interleave", stream: stream) { database, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                let (opened, open) = AsyncStream.makeStream(of: Void.self)
                let received = try await withThrowingTaskGroup(of: [Int].self) { group in
                    for selector in ["items/**", "groups/*/items"] {
                        group.addTask {
                            var (_, messages) = try await openStream(client, "\(live.baseURL)/events?topic=\(selector)")
                            #expect(try await messages.next() == .retry(2000))
                            open.yield()
                            var rows: [Int] = []
                            while rows.count < 2000 {
                                let event = try #require(try await messages.nextEvent())
                                rows.append(try #require(ResumeTests.rowID(event.data)))
                            }
                            return rows
                        }
                    }
                    var ready = 0
                    for await _ in opened {
                        ready += 1
                        if ready == 2 { break }
                    }
                    for batch in 0..<200 {
                        let first = batch * 10 + 1
                        try await database.execute(
                            "INSERT INTO public.items SELECT g, g % 7, 'n' FROM generate_series(\(first), \(first + 9)) g"
                        )
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(received.count == 2)
                for rows in received { #expect(rows == Array(1...2000)) }
                #expect(live.gateway.hub.testOnlyCutOffCount == 0)
            }
        }
    }
}
