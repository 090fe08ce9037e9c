import Logging
import TidingsCore

/// Everything an authorized `/events` request hands to its stream (``StreamConnection/open(on:_:)``).
struct StreamOpening: Sendable {
    let hub: Hub
    let log: LogReplay
    let grant: Grant
    let settings: StreamSettings
    /// When the token expires; `nil` for a stream without a token.
    let expiresAt: ContinuousClock.Instant?
    /// The client's `Last-Event-ID`; `nil` starts live.
    let lastEventID: Int64?
    /// The client's stream slot (`limits`), released when the stream is over.
    let slot: StreamLimiter.Slot?
    /// Whether the stream may outlive its request's task (``StreamResponseGate``): an HTTP/1.1
    /// request whose connection Hummingbird keeps open after the response.
    let outlivesRequest: Bool
    let logger: Logger
}
