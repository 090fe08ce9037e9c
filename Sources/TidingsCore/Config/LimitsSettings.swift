/// SPEC §2 `limits`: what one connection may hold and for how long, so that half-open sockets
/// and slow clients cannot exhaust the gateway's descriptors (slowloris).
public struct LimitsSettings: Sendable, Equatable {
    /// The request line and headers must arrive within this, else the connection closes. A
    /// `/publish` body must arrive within it too.
    public var requestHead: Duration
    /// A TLS handshake must finish within this.
    public var tlsHandshake: Duration
    /// A connection with no request in progress and no open stream is closed after this.
    public var idle: Duration
    /// Past this many open connections, new ones are closed at once.
    public var maxConnections: Int
    /// Open `/events` streams without a token, per gateway; 0 means unlimited.
    public var maxAnonymousStreams: Int

    public init(
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
