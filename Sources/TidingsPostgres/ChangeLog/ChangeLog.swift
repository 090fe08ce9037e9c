package import Logging
package import PostgresNIO

/// The change log's one home: every statement that reads or writes `tidings.changes`, its
/// retention watermark, its publish outbox and its wake-up channel goes through this type.
///
/// Callers pass typed values and get typed results; no SQL text leaves `TidingsPostgres`. Reads
/// that a caller runs on a connection of its own (the feed's LISTENing connection, a `/rows`
/// snapshot's transaction) are static methods taking that connection; everything else runs on
/// the gateway's pool through an instance. Every reader reads events with one query shape, so
/// the feed, a resuming stream and `/changes` return the same bytes for the same event.
///
/// The logical capturer's batch insert (`Logical/CaptureLogWriter.swift`) does not go through
/// this type yet: it runs on the capturer's own libpq connection.
package struct ChangeLog: Sendable {
    /// The channel the capture triggers, the capturer and `tidings.publish()` notify: one empty
    /// wake-up per transaction (per batch in logical mode). NOTIFY only wakes; the log is the data.
    package static let wakeUpChannel = "tidings"

    /// Bytes of event data one page holds at most (past its first event): a run of large events
    /// is read in several short reads, not one that times out.
    package static let maxPageBytes = 4 << 20

    let client: PostgresClient
    /// `capture.mode: logical`: the slot the capturer reads; a publish is numbered by the
    /// capturer after it committed, and refused while no capturer streams the slot. `nil` in
    /// triggers mode.
    let captureSlot: String?
    /// Where the statements' own logging goes; a request may swap in its own logger.
    package var logger: Logger

    /// `capture.mode: logical`.
    var logicalCapture: Bool { captureSlot != nil }

    package init(client: PostgresClient, captureSlot: String? = nil, logger: Logger) {
        self.client = client
        self.captureSlot = captureSlot
        self.logger = logger
    }
}
