import Testing

@testable import TidingsPostgres

@Suite struct FeedInboxTests {
    @Test("what came while the reader was busy is taken at once: one read however many wake-ups asked")
    func takesEverythingAtOnce() async throws {
        let inbox = FeedInbox()
        inbox.requestRead()
        inbox.requestRead()
        let work = try await inbox.next()
        #expect(work.readLog)
        #expect(!work.pollDue)
        inbox.requestPoll()
        let poll = try await inbox.next()
        #expect(!poll.readLog && poll.pollDue)
    }

    @Test("a reader gets the next wake-up whenever it asks, and stops when its task is cancelled")
    func waitsAndCancels() async throws {
        let inbox = FeedInbox()
        let waiting = Task { try await inbox.next() }
        inbox.requestRead()
        #expect(try await waiting.value.readLog)
        let cancelled = Task { try await inbox.next() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
    }
}
