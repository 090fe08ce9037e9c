import NIOCore
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

/// Every transition of the change feed's state, without a database or a clock.
@Suite struct FeedStateMachineTests {
    private let start = ContinuousClock.now

    private func machine(cursor: Int64? = nil) -> FeedStateMachine {
        FeedStateMachine(cursor: cursor, queryTimeout: .seconds(10), stallLimit: .seconds(15))
    }

    private func page(_ ids: [Int64], prunedThrough: Int64 = 0, isFull: Bool = false) throws -> ChangeLogPage {
        let changes = try ids.map { id in
            Change(id: id, topics: [try Topic(validating: "chat/\(id)")], event: "message", data: ByteBuffer(string: "{}"), committedAt: 0)
        }
        return ChangeLogPage(changes: changes, prunedThrough: prunedThrough, isFull: isFull)
    }

    @Test("a full page moves the cursor past it and asks for another read after its last id; a short or empty one ends the read")
    func pagesAndReadingOn() throws {
        var feed = machine(cursor: 10)
        let attempt = feed.attemptStarted(at: start)
        _ = feed.listening()
        #expect(
            feed.pageRead(try page([11, 12], isFull: true), attempt: attempt, at: start)
                == .deliver(reset: nil, skip: 0, readAgainAfter: 12)
        )
        #expect(feed.cursor == 12)
        #expect(feed.pageRead(try page([13]), attempt: attempt, at: start) == .deliver(reset: nil, skip: 0, readAgainAfter: nil))
        #expect(feed.pageRead(try page([]), attempt: attempt, at: start) == .deliver(reset: nil, skip: 0, readAgainAfter: nil))
        #expect(feed.cursor == 13)
    }

    @Test("a page whose watermark passed the cursor resets the sink after the cursor, from the first retained id or past the watermark")
    func prunedPastTheCursor() throws {
        var feed = machine(cursor: 10)
        let attempt = feed.attemptStarted(at: start)
        _ = feed.listening()
        #expect(
            feed.pageRead(try page([21, 22], prunedThrough: 20), attempt: attempt, at: start)
                == .deliver(reset: FeedStateMachine.Reset(after: 10, oldest: 21), skip: 0, readAgainAfter: nil)
        )
        #expect(feed.cursor == 22)
        #expect(
            feed.pageRead(try page([], prunedThrough: 30), attempt: attempt, at: start)
                == .deliver(reset: FeedStateMachine.Reset(after: 22, oldest: 31), skip: 0, readAgainAfter: nil)
        )
        #expect(feed.cursor == 30)
        #expect(
            feed.pageRead(try page([31], prunedThrough: 30), attempt: attempt, at: start)
                == .deliver(reset: nil, skip: 0, readAgainAfter: nil)
        )
    }

    @Test("events the cursor passed while the page was read are skipped, and the cursor never moves back")
    func eventsHandedOverMeanwhileAreSkipped() throws {
        var feed = machine(cursor: 10)
        let attempt = feed.attemptStarted(at: start)
        _ = feed.listening()
        feed.advanced(to: 12)
        #expect(
            feed.pageRead(try page([11, 12, 13], isFull: true), attempt: attempt, at: start)
                == .deliver(reset: nil, skip: 2, readAgainAfter: 13)
        )
        #expect(feed.cursor == 13)
        feed.advanced(to: 20)
        #expect(
            feed.pageRead(try page([14, 15], isFull: true), attempt: attempt, at: start)
                == .deliver(reset: nil, skip: 2, readAgainAfter: 15)
        )
        #expect(feed.cursor == 20)
    }

    @Test("events the gateway wrote itself go to the sink without a read only when they follow the cursor, once each")
    func eventsWrittenHere() throws {
        var fresh = machine()
        #expect(fresh.wrote(after: 0, try page([1, 2]).changes) == nil)
        var feed = machine(cursor: 10)
        #expect(feed.wrote(after: 11, try page([12, 13]).changes) == nil)
        #expect(feed.cursor == 10)
        #expect(feed.wrote(after: 10, try page([11, 12]).changes) == 0)
        #expect(feed.cursor == 12)
        #expect(feed.wrote(after: 10, try page([11, 12]).changes) == nil)
        #expect(feed.wrote(after: 11, try page([12, 13, 14]).changes) == 1)
        #expect(feed.cursor == 14)
        #expect(feed.wrote(after: 14, []) == nil)
    }

    @Test("a page of an attempt given up on is discarded, cursor untouched, even when it would reset the sink")
    func stalePagesAreDiscarded() throws {
        var feed = machine(cursor: 10)
        let first = feed.attemptStarted(at: start)
        _ = feed.attemptStarted(at: start + .seconds(20))
        #expect(feed.pageRead(try page([11], prunedThrough: 10), attempt: first, at: start + .seconds(21)) == .discard)
        #expect(feed.pageRead(try page([], prunedThrough: 50), attempt: first, at: start + .seconds(21)) == .discard)
        #expect(feed.cursor == 10)
    }

    @Test("a fresh feed finds the end of the log; a feed with a cursor reads the gap after it")
    func catchUpStart() {
        var fresh = machine()
        _ = fresh.attemptStarted(at: start)
        #expect(fresh.listening() == .findEnd)
        #expect(fresh.state == .catchingUp)
        var resumed = machine(cursor: 41)
        _ = resumed.attemptStarted(at: start)
        #expect(resumed.listening() == .after(41))
    }

    @Test("ready only once the log was read to its end after LISTEN, and not again until the next catch-up")
    func readiness() {
        var feed = machine()
        let attempt = feed.attemptStarted(at: start)
        #expect(!feed.isReady)
        feed.connected(attempt: attempt, at: start)
        _ = feed.listening()
        #expect(!feed.isReady)
        feed.caughtUp()
        #expect(feed.isReady && feed.state == .live)
        var generator = SplitMix64(seed: 1)
        _ = feed.connectionLost(using: &generator)
        #expect(!feed.isReady && feed.state == .backingOff)
        feed.reconnecting()
        #expect(feed.state == .connecting)
    }

    @Test("a read of the current attempt moves the cursor to its last id; an empty read keeps it")
    func readsMoveTheCursor() {
        var feed = machine()
        let attempt = feed.attemptStarted(at: start)
        _ = feed.listening()
        #expect(feed.read(through: 0, attempt: attempt, at: start) == .deliver)
        #expect(feed.cursor == 0)
        #expect(feed.read(through: 7, attempt: attempt, at: start) == .deliver)
        #expect(feed.read(through: nil, attempt: attempt, at: start) == .deliver)
        #expect(feed.cursor == 7)
    }

    @Test("a read of an attempt given up on is discarded and leaves the cursor where the new attempt put it")
    func staleReadsAreDiscarded() {
        var feed = machine(cursor: 5)
        let first = feed.attemptStarted(at: start)
        let second = feed.attemptStarted(at: start + .seconds(20))
        #expect(second == first + 1)
        #expect(feed.read(through: 9, attempt: second, at: start + .seconds(21)) == .deliver)
        #expect(feed.read(through: 12, attempt: first, at: start + .seconds(22)) == .discard)
        #expect(feed.cursor == 9)
    }

    @Test("the watchdog keeps watching while the attempt connects or reads within the stall limit, and abandons it after")
    func watchdog() {
        var feed = machine()
        let attempt = feed.attemptStarted(at: start)
        #expect(feed.watchdogDue(attempt: attempt, at: start + .seconds(15)) == .keepWatching)
        #expect(feed.watchdogDue(attempt: attempt, at: start + .seconds(16)) == .abandon)
        feed.connected(attempt: attempt, at: start + .seconds(10))
        #expect(feed.watchdogDue(attempt: attempt, at: start + .seconds(16)) == .keepWatching)
        _ = feed.read(through: 3, attempt: attempt, at: start + .seconds(20))
        #expect(feed.watchdogDue(attempt: attempt, at: start + .seconds(35)) == .keepWatching)
        #expect(feed.watchdogDue(attempt: attempt, at: start + .seconds(36)) == .abandon)
    }

    @Test("a late connect of an abandoned attempt is not progress for the new one")
    func staleProgressIsIgnored() {
        var feed = machine()
        let first = feed.attemptStarted(at: start)
        let second = feed.attemptStarted(at: start + .seconds(1))
        feed.connected(attempt: first, pid: 99, at: start + .seconds(15))
        #expect(feed.watchdogDue(attempt: second, at: start + .seconds(17)) == .abandon)
        var generator = SplitMix64(seed: 2)
        #expect(feed.connectionLost(using: &generator).terminate == nil)
    }

    @Test("the poll reads the log unless a read has been in flight past the query timeout, which drops the connection")
    func pollAndQueryTimeout() {
        var feed = machine()
        let attempt = feed.attemptStarted(at: start)
        _ = feed.listening()
        #expect(feed.pollDue(attempt: attempt, at: start + .seconds(60)) == .read)
        feed.readStarted(attempt: attempt, at: start)
        #expect(feed.pollDue(attempt: attempt, at: start + .seconds(10)) == .read)
        #expect(feed.pollDue(attempt: attempt, at: start + .seconds(11)) == .dropConnection)
        _ = feed.read(through: nil, attempt: attempt, at: start + .seconds(11))
        #expect(feed.pollDue(attempt: attempt, at: start + .seconds(60)) == .read)
    }

    @Test("a lost connection ends its server session once and waits a backoff that grows until the feed is live again")
    func reconnect() {
        var feed = FeedStateMachine(backoff: Backoff(initial: .milliseconds(100), maximum: .seconds(10)))
        var generator = SplitMix64(seed: 3)
        let attempt = feed.attemptStarted(at: start)
        feed.connected(attempt: attempt, pid: 4242, at: start)
        let first = feed.connectionLost(using: &generator)
        #expect(first.terminate == 4242)
        #expect(first.delay >= .milliseconds(50) && first.delay <= .milliseconds(100))
        #expect(feed.reconnects == 1)
        feed.reconnecting()
        _ = feed.attemptStarted(at: start)
        let second = feed.connectionLost(using: &generator)
        #expect(second.terminate == nil)
        #expect(second.delay >= .milliseconds(100) && second.delay <= .milliseconds(200))
        // Failing again before ever connecting is the same outage, not another reconnect.
        #expect(feed.reconnects == 1)
        feed.reconnecting()
        _ = feed.attemptStarted(at: start)
        _ = feed.listening()
        feed.caughtUp()
        let afterLive = feed.connectionLost(using: &generator)
        #expect(afterLive.delay <= .milliseconds(100))
        #expect(feed.reconnects == 2)
    }
}
