import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's basics plus the channel, which a stream
/// closes when its subscriber is cut off while a write is stuck on an unread socket.
struct GatewayRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}
