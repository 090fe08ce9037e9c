/// The requests whose answer time `/metrics` shows as a histogram,
/// `tidings_request_duration_seconds{endpoint=…}`.
///
/// A `/changes` request with `wait` is counted apart: its time is mostly the wait it asked for.
enum TimedRequest: String, CaseIterable, Sendable {
    case changes
    case changesWait = "changes_wait"
    /// `GET /rows`: its controller records through ``GatewayMetrics/recordRequest(_:since:)``
    /// like `/changes` does.
    case rows
}
