/// SPEC §2 `limits`: what one connection may hold and for how long, so that half-open sockets
/// and slow clients cannot exhaust the gateway's descriptors (slowloris).
package struct LimitsSettings: Sendable, Equatable {
    /// The request line and headers must arrive within this, else the connection closes. A
    /// `/publish` body must arrive within it too.
    package var requestHead: Duration
    /// A TLS handshake must finish within this.
    package var tlsHandshake: Duration
    /// A connection with no request in progress and no open stream is closed after this.
    package var idle: Duration
    /// Past this many open connections, new ones are closed at once.
    package var maxConnections: Int
    /// Open `/events` streams without a token, per gateway; 0 means unlimited.
    package var maxAnonymousStreams: Int

    package init(
        requestHead: Duration = .seconds(10),
        tlsHandshake: Duration = .seconds(10),
        idle: Duration = .seconds(60),
        maxConnections: Int = 10_000,
        maxAnonymousStreams: Int = 0
    ) {
        self.requestHead = requestHead
        self.tlsHandshake = tlsHandshake
        self.idle = idle
        self.maxConnections = maxConnections
        self.maxAnonymousStreams = maxAnonymousStreams
    }
}
