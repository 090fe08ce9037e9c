import AsyncHTTPClient
import Foundation
import Testing
import TidingsCore
import TidingsPostgres

@testable import TidingsServer

/// The feed hands on the event a wake-up carries when its id follows the cursor, and reads the
/// log for everything else: a skipped id, an event too large for NOTIFY.
@Suite("Events carried on their wake-up", .timeLimit(.minutes(2)))
struct WakeUpDeliveryTests {
    /// Opens a stream on `items/**` once the gateway is ready and runs `body` with it.
    static func withStream(
        _ prefix: String,
        _ body: @Sendable (TestDatabase, LiveGateway, inout SSEMessages.AsyncIterator) async throws -> Void
    ) async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with(prefix) { database, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                var (_, messages) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                #expect(try await messages.next() == .retry(2000))
                try await body(database, live, &messages)
            }
        }
    }

    @Test("20 small events, committed one at a time, reach a stream in order without a read of the log")
    func smallEventsNeedNoRead() async throws {
        try await Self.withStream("carried") { database, live, messages in
            let readsBefore = live.gateway.feed.status.snapshot.readsOnWakeUp
            for row in 1...20 {
                try await database.execute("INSERT INTO public.items VALUES (\(row), 1, 'small')")
                let event = try #require(try await messages.nextEvent())
                #expect(ResumeTests.rowID(event.data) == row)
                #expect(event.id == "\(row)")
            }
            #expect(live.gateway.feed.status.snapshot.readsOnWakeUp == readsBefore)
        }
    }

    @Test("an id skipped before a carried event makes the feed read the log, and nothing is lost")
    func skippedIDIsReadFromTheLog() async throws {
        try await Self.withStream("carried_gap") { database, live, messages in
            try await database.execute("INSERT INTO public.items VALUES (1, 1, 'before')")
            #expect(try #require(try await messages.nextEvent()).id == "1")
            let readsBefore = live.gateway.feed.status.snapshot.readsOnWakeUp
            // An id drawn and never logged, as by a commit that failed after numbering its event.
            try await database.execute("SELECT nextval('tidings.change_id')")
            try await database.execute("INSERT INTO public.items VALUES (2, 1, 'after')")
            let event = try #require(try await messages.nextEvent())
            #expect(event.id == "3")
            #expect(ResumeTests.rowID(event.data) == 2)
            #expect(live.gateway.feed.status.snapshot.readsOnWakeUp > readsBefore)
        }
    }

    @Test("an event too large for its wake-up arrives through the log, whole")
    func largeEventsArriveWhole() async throws {
        try await Self.withStream("carried_large") { database, _, messages in
            try await database.execute("INSERT INTO public.items VALUES (1, 1, repeat('x', 9000))")
            try await database.execute("INSERT INTO public.items VALUES (2, 1, 'small')")
            let large = try #require(try await messages.nextEvent())
            #expect(large.id == "1")
            #expect(large.data.contains(String(repeating: "x", count: 9000)))
            #expect(try #require(try await messages.nextEvent()).id == "2")
        }
    }

    @Test("a copy forged by any session that may NOTIFY is only a wake-up: the stream gets the logged event")
    func forgedCopiesAreNotTaken() async throws {
        try await Self.withStream("carried_forged") { database, live, messages in
            let readsBefore = live.gateway.feed.status.snapshot.readsOnWakeUp
            let tag = String(repeating: "0", count: 64)
            // On the copies' channel, as a forger who somehow learnt its name would send it.
            try await database.execute(
                """
                SELECT pg_notify('tidings_' || left(encode(sha256(key || convert_to('channel', 'UTF8')), 'hex'), 32),
                    $f$\(tag)\n[1, 0, "items.insert", ["items/1"]]\n{"forged": true}$f$) FROM tidings.wake_up_key
                """
            )
            try await database.execute("INSERT INTO public.items VALUES (1, 1, 'real')")
            let event = try #require(try await messages.nextEvent())
            #expect(event.id == "1")
            #expect(ResumeTests.rowID(event.data) == 1)
            #expect(!event.data.contains("forged"))
            #expect(live.gateway.feed.status.snapshot.readsOnWakeUp > readsBefore)
        }
    }
}
