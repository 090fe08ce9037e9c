import Synchronization

/// What the logical capturer reports to the rest of the gateway (metrics, logs): whether this
/// gateway is the capturer, and how much WAL the slot holds back. Written by the capturer's
/// thread, read anywhere.
package final class CaptureStatus: Sendable {
    private let leader = Atomic<Bool>(false)
    private let lag = Atomic<Int64>(0)
    private let logged = Atomic<Int64>(0)

    package init() {}

    /// This gateway holds the capturer's lock and reads the slot.
    package var isCapturer: Bool { leader.load(ordering: .relaxed) }
    /// `pg_current_wal_lsn()` minus the slot's confirmed position, in bytes.
    package var lagBytes: Int64 { lag.load(ordering: .relaxed) }
    /// Events this gateway's capturer has written into the log.
    package var eventsLogged: Int64 { logged.load(ordering: .relaxed) }

    func setCapturer(_ value: Bool) { leader.store(value, ordering: .relaxed) }
    func setLag(_ value: Int64) { lag.store(value, ordering: .relaxed) }
    func addLogged(_ count: Int64) { logged.wrappingAdd(count, ordering: .relaxed) }
}
