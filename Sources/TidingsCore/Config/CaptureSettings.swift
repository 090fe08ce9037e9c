/// `capture:` (SPEC §2, §7): how committed changes reach the log.
package struct CaptureSettings: Sendable, Equatable {
    /// How changes of captured tables are captured.
    package enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Per-table triggers write the log inside the application's transaction.
        case triggers
        /// One elected gateway reads the WAL through a replication slot and writes the log.
        case logical
    }

    package var mode: Mode
    /// The replication slot `migrate` creates and the capturer reads (logical only).
    package var slot: String
    /// The publication `migrate` keeps in step with the captured tables (logical only).
    package var publication: String
    /// Past this much WAL held back by the slot, the capturer logs a warning.
    package var lagWarning: Int

    package init(mode: Mode = .triggers, slot: String = "tidings", publication: String = "tidings", lagWarning: Int = 1 << 30) {
        self.mode = mode
        self.slot = slot
        self.publication = publication
        self.lagWarning = lagWarning
    }
}
