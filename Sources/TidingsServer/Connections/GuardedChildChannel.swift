import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Hummingbird's child channel (HTTP/1, or TLS with HTTP/2 by ALPN) with the gateway's
/// connection limits around it: the connection count (`limits.max_connections`) and, with TLS,
/// the handshake deadline (`limits.tls_handshake`).
///
/// Everything else is the wrapped channel's own setup and handling, through
/// `ServerChildChannel`, the seam Hummingbird offers for this.
struct GuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let connections: ConnectionCounter
    /// `nil` without TLS.
    let tlsHandshake: TimeAmount?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard connections.admit(channel) else {
            logger.debug("connection refused", metadata: ["limit": "\(connections.limit)"])
            // A failed initializer is dropped by NIO without closing the channel: close it here.
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(ConnectionRefusal.limitReached(connections.limit))
        }
        let value = base.setup(channel: channel, logger: logger)
        if let tlsHandshake {
            do {
                // The base adds its TLS handler synchronously, on this event loop.
                let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
                try channel.pipeline.syncOperations.addHandler(TLSHandshakeTimeoutHandler(timeout: tlsHandshake), position: .after(tls))
            } catch {
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        return value
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
