import HummingbirdCore
import HummingbirdHTTP2
import NIOCore
import NIOSSL
import TidingsCore

extension HTTPServerBuilder {
    /// The gateway's server: HTTP/1 (with `tls: off`) or TLS with HTTP/1.1 and HTTP/2 by ALPN,
    /// with SPEC §2 `limits` applied through Hummingbird's own configuration (idle timeouts)
    /// and a child channel of ours (connection count, TLS handshake and request-head deadlines);
    /// each HTTP/1.1 request runs in a task of its own (``RequestTask``).
    ///
    /// > Warning: builds a TLS context: call once at startup.
    static func gateway(tls: TLSConfiguration?, limits: LimitsSettings) throws -> HTTPServerBuilder {
        let connections = ConnectionCounter(limit: limits.maxConnections)
        let requestHead = TimeAmount(limits.requestHead)
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [RequestHeadTimeoutHandler(timeout: requestHead)],
            idleTimeout: TimeAmount(limits.idle)
        )
        guard let tls else {
            return .init { responder in
                GuardedChildChannel(
                    base: HTTP1Channel(responder: RequestTask.wrapping(responder), configuration: http1),
                    connections: connections,
                    tlsHandshake: nil
                )
            }
        }
        // Built once here, so that a bad certificate fails at startup rather than per connection.
        _ = try NIOSSLContext(configuration: tls)
        let http2 = HTTP2ChannelConfiguration(idleTimeout: limits.idle, streamConfiguration: http1)
        return .init { responder in
            GuardedChildChannel(
                base: try HTTP2UpgradeChannel(tlsConfiguration: tls, configuration: http2, responder: RequestTask.wrapping(responder)),
                connections: connections,
                tlsHandshake: TimeAmount(limits.tlsHandshake)
            )
        }
    }
}
