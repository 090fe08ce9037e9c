import NIOCore
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

/// Every transition of a stream's state machine, without sockets: what each input does in each
/// state and which action it asks for.
@Suite("Stream state machine")
struct StreamStateMachineTests {
    private static func frame(_ id: Int64) -> Subscriber.QueuedFrame {
        Subscriber.QueuedFrame(id: id, bytes: ByteBuffer(string: "id: \(id)\n\n"))
    }

    private static func live(_ bytes: String = "data: x\n\n") -> Subscriber.QueuedFrame {
        Subscriber.QueuedFrame(id: .min, bytes: ByteBuffer(string: bytes), isLive: true)
    }

    @Test("a fresh stream is live from the hub's cursor: it takes its queue and skips what predates it")
    func freshStreamIsLive() {
        var machine = StreamStateMachine(resumeAfter: nil, cursor: 10)
        #expect(machine.state == .live)
        #expect(machine.start(cursor: 10) == .takeFrames)
        let eleven = Self.frame(11)
        #expect(machine.took(.frames([Self.frame(9), Self.frame(10), eleven])) == .write([eleven]))
        #expect(machine.lastWritten == 11)
        #expect(machine.took(.frames([])) == .none)
    }

    @Test("a resume replays after Last-Event-ID through the cursor, holds live frames meanwhile, then drains")
    func resumeReplaysThenDrains() {
        var machine = StreamStateMachine(resumeAfter: 4, cursor: 20)
        #expect(machine.state == .replaying)
        #expect(machine.start(cursor: 20) == .replay(.resume(after: 4, through: 20)))
        #expect(machine.drain() == .none)
        #expect(machine.isReplaying)
        #expect(machine.replayFinished(lastWritten: 20) == .takeFrames)
        #expect(machine.state == .live)
        let frames = [Self.frame(20), Self.frame(21)]
        #expect(machine.took(.frames(frames)) == .write([frames[1]]))
    }

    @Test("a resume whose reset moves the resume point below Last-Event-ID goes live from that point")
    func resetBelowLastEventID() {
        var machine = StreamStateMachine(resumeAfter: 500, cursor: 20)
        #expect(machine.start(cursor: 20) == .replay(.resume(after: 500, through: 20)))
        #expect(machine.replayFinished(lastWritten: 20) == .takeFrames)
        let frame = Self.frame(21)
        #expect(machine.took(.frames([frame])) == .write([frame]))
    }

    @Test("a resume before the feed started replays through the start cursor")
    func resumeBeforeFeedStarted() {
        let machine = StreamStateMachine(resumeAfter: 4, cursor: nil)
        #expect(machine.start(cursor: nil) == .replay(.resume(after: 4, through: nil)))
    }

    @Test("a lag replays the gap after the last id written, then the queue's newer frames and live events follow")
    func lagReplaysTheGap() {
        var machine = StreamStateMachine(resumeAfter: nil, cursor: 5)
        let six = Self.frame(6)
        #expect(machine.took(.frames([six])) == .write([six]))
        #expect(machine.took(.lagged) == .replay(.gap(after: 6)))
        #expect(machine.state == .lagging)
        #expect(machine.drain() == .none)
        #expect(machine.replayFinished(lastWritten: 90) == .takeFrames)
        let channelEvent = Self.live()
        let ninetyOne = Self.frame(91)
        #expect(machine.took(.frames([Self.frame(80), channelEvent, ninetyOne])) == .write([channelEvent, ninetyOne]))
        #expect(machine.lastWritten == 91)
    }

    @Test("a lag before anything was written replays from the feed's start cursor")
    func lagBeforeAnything() {
        var machine = StreamStateMachine(resumeAfter: nil, cursor: nil)
        #expect(machine.took(.lagged) == .replay(.gap(after: .min)))
    }

    @Test("an unwritable socket holds frames in the queue; writable again, it drains, as often as it flaps")
    func writabilityFlapping() {
        var machine = StreamStateMachine(resumeAfter: nil, cursor: 0)
        for _ in 0..<3 {
            #expect(machine.writabilityChanged(false) == .none)
            #expect(machine.drain() == .none)
            #expect(machine.tick() == .none)
            #expect(machine.writabilityChanged(true) == .takeFrames)
            // Writable between ticks resets the count: a flapping client is reading.
            #expect(machine.tick() == .heartbeat)
        }
        #expect(machine.state == .live)
    }

    @Test("two ticks in a row on an unwritable socket cut the stream off and close the connection")
    func stalledSocketIsCutOff() {
        var machine = StreamStateMachine(resumeAfter: nil, cursor: 0)
        _ = machine.writabilityChanged(false)
        #expect(machine.tick() == .none)
        #expect(machine.tick() == .close(.cutOff))
        #expect(machine.state == .closed)
        #expect(machine.tick() == .none)
        #expect(machine.writabilityChanged(true) == .none)
        #expect(machine.end(.expired) == .none)
    }

    @Test("a replay write the socket holds across two ticks cuts the stream off; one it takes does not")
    func stalledReplayIsCutOff() {
        var machine = StreamStateMachine(resumeAfter: 1, cursor: 9)
        machine.replayWriteStarted()
        #expect(machine.tick() == .none)
        machine.replayWriteCompleted()
        #expect(machine.tick() == .none)
        machine.replayWriteStarted()
        #expect(machine.tick() == .none)
        #expect(machine.tick() == .close(.cutOff))
    }

    @Test("a tick with nothing written since the last one asks for a heartbeat, during a replay too")
    func heartbeats() {
        var machine = StreamStateMachine(resumeAfter: nil, cursor: 0)
        #expect(machine.tick() == .heartbeat)
        _ = machine.took(.frames([Self.frame(1)]))
        #expect(machine.tick() == .none)
        #expect(machine.tick() == .heartbeat)

        var replaying = StreamStateMachine(resumeAfter: 1, cursor: 9)
        // The replay waits on the database: the client still hears from the stream.
        #expect(replaying.tick() == .heartbeat)
        replaying.replayWriteStarted()
        replaying.replayWriteCompleted()
        #expect(replaying.tick() == .none)
        #expect(replaying.tick() == .heartbeat)
    }

    @Test("expiry during a lag ends the stream with the expiry event; the replay stops")
    func expiryDuringLag() {
        var machine = StreamStateMachine(resumeAfter: nil, cursor: 0)
        _ = machine.took(.lagged)
        #expect(machine.end(.expired) == .end(.expired))
        #expect(machine.state == .ending(.expired))
        #expect(!machine.isReplaying)
        #expect(machine.replayFinished(lastWritten: 50) == .none)
        #expect(machine.tick() == .none)
        #expect(machine.end(.shutdown) == .none)
        machine.finished()
        #expect(machine.state == .closed)
    }

    @Test("shutdown during a replay ends the response; the first ending wins")
    func shutdownDuringReplay() {
        var machine = StreamStateMachine(resumeAfter: 3, cursor: 70)
        #expect(machine.end(.shutdown) == .end(.shutdown))
        #expect(!machine.isReplaying)
        #expect(machine.end(.expired) == .none)
        #expect(machine.end(.closed) == .none)
        #expect(machine.took(.frames([Self.frame(71)])) == .none)
    }

    @Test("a client that leaves closes the stream at once, in any state")
    func clientLeaves() {
        for var machine in [
            StreamStateMachine(resumeAfter: nil, cursor: 0),
            StreamStateMachine(resumeAfter: 2, cursor: 8),
        ] {
            #expect(machine.end(.closed) == .close(.closed))
            #expect(machine.state == .closed)
            #expect(machine.drain() == .none)
        }
        var lagging = StreamStateMachine(resumeAfter: nil, cursor: 0)
        _ = lagging.took(.lagged)
        #expect(lagging.end(.closed) == .close(.closed))
    }
}
