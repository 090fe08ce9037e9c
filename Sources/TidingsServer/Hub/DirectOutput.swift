import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// A stream's way into its channel's pipeline below Hummingbird's response writer, so the hub
/// can write a parked stream's live frames from the event loop without waking its writer task.
///
/// A live delivery is then one pipeline write and one flush: no task resume, no executor hop, no
/// async writer. It is used only while the writer task is parked and the channel is writable
/// (``Subscriber/drain()``): nothing else is writing this response then, so the frames follow
/// everything the writer wrote, in order. Everything else — replay, heartbeats, a socket that is
/// not writable, the end of the stream — goes through the writer task as before.
///
/// It writes through the context of Hummingbird's `HTTPConnectionStateHandler`, which both the
/// HTTP/1.1 and the HTTP/2 stream pipelines end with: a write there reaches the codec that turns
/// body parts into chunks or DATA frames.
public struct DirectOutput: Sendable {
    private let context: NIOLoopBound<ChannelHandlerContext>
    let channel: any Channel

    /// The output of `channel`; `nil` when its pipeline is not Hummingbird's (then the writer
    /// task writes every frame). Call on the channel's event loop.
    init?(channel: any Channel) {
        guard channel.eventLoop.inEventLoop,
            let context = try? channel.pipeline.syncOperations.context(handlerType: HTTPConnectionStateHandler.self)
        else { return nil }
        self.context = NIOLoopBound(context, eventLoop: channel.eventLoop)
        self.channel = channel
    }

    /// Whether a write now would be taken without piling up behind an unread socket. Safe to
    /// ask from any thread.
    var isWritable: Bool { channel.isWritable }

    /// Writes the frames as body parts and flushes them. Call on the channel's event loop.
    func write(_ frames: [Subscriber.QueuedFrame]) {
        let context = context.value
        for frame in frames {
            context.write(NIOAny(HTTPResponsePart.body(frame.bytes)), promise: nil)
        }
        context.flush()
    }
}
