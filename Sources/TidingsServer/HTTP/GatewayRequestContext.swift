package import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's basics plus the channel, which a stream
/// closes when its subscriber is cut off while a write is stuck on an unread socket.
///
/// Public so that a caller can add routes of its own (``Gateway/init(config:logger:onServerRunning:extraRoutes:)``).
package struct GatewayRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    let channel: any Channel

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
