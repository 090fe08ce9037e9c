import Testing
import TidingsPostgres

@Suite struct CapturePositionTests {
    @Test("a transaction whose commit starts below the recorded position is skipped; the next one is not")
    func skipsWhatTheLogHas() {
        var position = CapturePosition(writtenThrough: LSN(0x200))
        position.begin(finalLSN: LSN(0x1F0))
        #expect(position.skipping)
        #expect(position.commit(endLSN: LSN(0x200), pending: 0, batchSize: 10) == .none)
        #expect(position.idle() == .none)
        position.begin(finalLSN: LSN(0x200))
        #expect(!position.skipping)
        #expect(position.commit(endLSN: LSN(0x230), pending: 1, batchSize: 10) == .none)
        #expect(position.idle() == .writeBatch(through: LSN(0x230)))
    }

    @Test("the slot is confirmed only once the batch holding a transaction is written")
    func confirmsAfterTheWrite() {
        var position = CapturePosition(writtenThrough: LSN(0x100))
        position.begin(finalLSN: LSN(0x100))
        _ = position.commit(endLSN: LSN(0x140), pending: 1, batchSize: 10)
        #expect(position.confirmed == LSN(0x100))
        position.keepalive(end: LSN(0x500), pending: 1)
        #expect(position.confirmed == LSN(0x100), "a keepalive never confirms past a pending transaction")
        position.written(through: LSN(0x140))
        #expect(position.confirmed == LSN(0x140))
        #expect(position.writtenThrough == LSN(0x140))
        #expect(position.idle() == .none)
        position.keepalive(end: LSN(0x500), pending: 0)
        #expect(position.confirmed == LSN(0x500))
    }

    @Test("nothing is written while a transaction is open; a full batch is written at its commit")
    func batchesAtCommit() {
        var position = CapturePosition(writtenThrough: .zero)
        position.begin(finalLSN: LSN(0x10))
        #expect(position.idle() == .none)
        position.keepalive(end: LSN(0x900), pending: 0)
        #expect(position.confirmed == .zero, "a keepalive inside a transaction confirms nothing")
        #expect(position.commit(endLSN: LSN(0x20), pending: 10, batchSize: 10) == .writeBatch(through: LSN(0x20)))
    }

    @Test("a capturer that restarts after a kill at any point neither skips nor repeats a transaction (random commits, seed printed)")
    func restartAnywhere() {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("CapturePositionTests.restartAnywhere seed \(seed)")
        var generator = SeededGenerator(seed: seed)
        // Transactions as (start of commit record, end of commit record), in commit order.
        var commits: [(LSN, LSN)] = []
        var lsn: UInt64 = 0x100
        for _ in 0..<200 {
            lsn += UInt64.random(in: 1...64, using: &generator)
            let start = lsn
            lsn += 32
            commits.append((LSN(start), LSN(lsn)))
        }
        var logged: [LSN] = []
        var recorded = LSN.zero
        var slot = LSN.zero
        var next = 0
        while next < commits.count {
            // One capturer's life: from the slot's confirmed position, until it is killed.
            var position = CapturePosition(writtenThrough: recorded)
            var pending: [LSN] = []
            let killAt = next + Int.random(in: 1...20, using: &generator)
            var index = commits.firstIndex { $0.1 > slot } ?? commits.count
            while index < min(killAt, commits.count) {
                let (start, end) = commits[index]
                position.begin(finalLSN: start)
                if !position.skipping { pending.append(end) }
                if case .writeBatch(let through) = position.commit(endLSN: end, pending: pending.count, batchSize: 3) {
                    logged += pending
                    pending = []
                    recorded = through
                    position.written(through: through)
                    // Killed between the log's commit and the slot's confirmation, now and then.
                    if Bool.random(using: &generator) { slot = position.confirmed }
                }
                index += 1
            }
            next = max(next + 1, index)
        }
        // The last life writes what it still has.
        var position = CapturePosition(writtenThrough: recorded)
        for (start, end) in commits where end > slot {
            position.begin(finalLSN: start)
            if !position.skipping { logged.append(end) }
            _ = position.commit(endLSN: end, pending: 0, batchSize: 1)
        }
        #expect(logged == commits.map(\.1), "seed \(seed)")
    }
}

/// SplitMix64: reproducible from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
