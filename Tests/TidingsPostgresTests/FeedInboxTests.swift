import NIOCore
import Testing
import TidingsCore

@testable import TidingsPostgres

@Suite struct FeedInboxTests {
    static func change(_ id: Int64) -> Change {
        Change(id: id, topics: [], event: "e", data: ByteBuffer(string: "{}"), committedAt: 0)
    }

    @Test("what came while the reader was busy is taken at once: carried changes in order, and one read however many asked")
    func takesEverythingAtOnce() async throws {
        let inbox = FeedInbox()
        inbox.carry(Self.change(1))
        inbox.requestRead()
        inbox.carry(Self.change(2))
        inbox.requestRead()
        let work = try await inbox.next()
        #expect(work.changes.map(\.id) == [1, 2])
        #expect(work.readLog)
        #expect(!work.pollDue)
        inbox.requestPoll()
        let poll = try await inbox.next()
        #expect(poll.changes.isEmpty && !poll.readLog && poll.pollDue)
    }

    @Test("past its limit the inbox drops the waiting changes and asks for a read of the log instead")
    func overflowBecomesARead() async throws {
        let inbox = FeedInbox(limit: 3)
        for id in 1...4 { inbox.carry(Self.change(Int64(id))) }
        inbox.carry(Self.change(5))
        let work = try await inbox.next()
        #expect(work.readLog)
        #expect(work.changes.map(\.id) == [5])
    }

    @Test("a reader gets the next wake-up whenever it asks, and stops when its task is cancelled")
    func waitsAndCancels() async throws {
        let inbox = FeedInbox()
        let waiting = Task { try await inbox.next() }
        inbox.carry(Self.change(7))
        #expect(try await waiting.value.changes.map(\.id) == [7])
        let cancelled = Task { try await inbox.next() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
    }
}
