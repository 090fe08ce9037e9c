package import TidingsCore

/// One captured table as the logical capturer needs it: the event builder that `migrate`
/// installed for it (the same function a trigger calls, ``EventBuilder``) and the operations the
/// config captures (a trigger fires only for those; the capturer filters the WAL to match).
package struct LogicalCaptureTable: Sendable, Equatable {
    /// The builder's name inside schema `tidings`, unquoted.
    package var builder: String
    package var events: Set<ChangeOperation>

    package init(builder: String, events: Set<ChangeOperation>) {
        self.builder = builder
        self.events = events
    }
}
