/// `capture:` (SPEC §2, §7): how committed changes reach the log.
public struct CaptureSettings: Sendable, Equatable {
    /// How changes of captured tables are captured.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Per-table triggers write the log inside the application's transaction.
        case triggers
        /// One elected gateway reads the WAL through a replication slot and writes the log.
        case logical
    }

    public var mode: Mode
    /// The replication slot `migrate` creates and the capturer reads (logical only).
    public var slot: String
    /// The publication `migrate` keeps in step with the captured tables (logical only).
    public var publication: String
    /// Past this much WAL held back by the slot, the capturer logs a warning.
    public var lagWarning: Int

    public init(mode: Mode = .triggers, slot: String = "tidings", publication: String = "tidings", lagWarning: Int = 1 << 30) {
        self.mode = mode
        self.slot = slot
        self.publication = publication
        self.lagWarning = lagWarning
    }
}
