import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOSSL
import TidingsCore

/// A stream's way into its channel's pipeline below Hummingbird's response writer, so the hub
/// can write a stream's live frames from the event loop without a writer task.
///
/// A live delivery is then one pipeline write and one flush: no task resume, no executor hop, no
/// async writer; on plain HTTP/1.1, one `send` on the socket, the chunk handed straight to the
/// connection's ``SocketSendHandler``. It is used while the stream's writer task is parked or gone
/// (``StreamDriver``) and the channel is writable (``Subscriber/drain()``): nothing else is
/// writing this response then, so the frames follow everything the writer wrote, in order. A
/// stream on its event loop writes everything through it: heartbeats, replayed pages and the end
/// of the response too.
///
/// On HTTP/1.1 it writes each frame's ready-made chunk (``HTTPChunk``) below NIO's response
/// encoder, which frames every body without a length as chunks (Hummingbird answers HTTP/1.1
/// with no `Content-Length` on a stream): one buffer per delivery, shared by all streams. On
/// HTTP/2 it writes body parts through the context of Hummingbird's
/// `HTTPConnectionStateHandler`, so they reach the codec that makes DATA frames.
public final class DirectOutput: Sendable {
    private enum Route {
        /// Below the HTTP/1.1 response encoder: takes framed chunks.
        case chunks
        /// Above the HTTP/2 codec: takes body parts.
        case bodyParts
    }

    private let context: NIOLoopBound<ChannelHandlerContext>
    private let route: Route
    /// Plain HTTP/1.1 only, where nothing lies between the chunks and the socket: takes them
    /// without the trip through the pipeline.
    private let sender: NIOLoopBound<SocketSendHandler>?
    let channel: any Channel

    /// The output of `channel`; `nil` when its pipeline is not one of Hummingbird's (then the
    /// writer task writes every frame). Call on the channel's event loop.
    init?(channel: any Channel) {
        guard channel.eventLoop.inEventLoop else { return nil }
        let pipeline = channel.pipeline.syncOperations
        if let encoder = try? pipeline.context(handlerType: HTTPResponseEncoder.self) {
            context = NIOLoopBound(encoder, eventLoop: channel.eventLoop)
            route = .chunks
            let encrypted = (try? pipeline.context(handlerType: NIOSSLHandler.self)) != nil
            let handler = encrypted ? nil : try? pipeline.handler(type: SocketSendHandler.self)
            sender = handler.map { NIOLoopBound($0, eventLoop: channel.eventLoop) }
        } else if let state = try? pipeline.context(handlerType: HTTPConnectionStateHandler.self) {
            context = NIOLoopBound(state, eventLoop: channel.eventLoop)
            route = .bodyParts
            sender = nil
        } else {
            return nil
        }
        self.channel = channel
    }

    /// Whether a write now would be taken without piling up behind an unread socket. Safe to
    /// ask from any thread.
    var isWritable: Bool { channel.isWritable }

    private static let heartbeatChunk = HTTPChunk.framing(SSEFrame.heartbeat)
    private static let lastChunk = ByteBuffer(string: "0\r\n\r\n")

    /// Writes the frames and flushes them. Call on the channel's event loop.
    func write(_ frames: [Subscriber.QueuedFrame]) {
        let context = context.value
        switch route {
        case .chunks:
            let chunks = frames.lazy.map(\.chunk).filter { $0.readableBytes > 0 }
            if sender?.value.sendNow(chunks) == true { return }
            for chunk in chunks { context.write(NIOAny(IOData.byteBuffer(chunk)), promise: nil) }
        case .bodyParts:
            for frame in frames { context.write(NIOAny(HTTPResponsePart.body(frame.bytes)), promise: nil) }
        }
        context.flush()
    }

    /// Writes and flushes one frame. Call on the channel's event loop.
    func write(_ frame: Subscriber.QueuedFrame) {
        switch route {
        case .chunks:
            guard frame.chunk.readableBytes > 0 else { return }
            writeChunk(frame.chunk)
        case .bodyParts:
            context.value.writeAndFlush(NIOAny(HTTPResponsePart.body(frame.bytes)), promise: nil)
        }
    }

    /// Writes and flushes a heartbeat. Call on the channel's event loop.
    func writeHeartbeat() {
        switch route {
        case .chunks: writeChunk(Self.heartbeatChunk)
        case .bodyParts: context.value.writeAndFlush(NIOAny(HTTPResponsePart.body(SSEFrame.heartbeat)), promise: nil)
        }
    }

    private func writeChunk(_ chunk: ByteBuffer) {
        if sender?.value.sendNow(chunk) == true { return }
        context.value.writeAndFlush(NIOAny(IOData.byteBuffer(chunk)), promise: nil)
    }

    /// Writes and flushes `buffers` as body data; the future completes when the socket took
    /// them. Call on the channel's event loop.
    func write(contentsOf buffers: some Sequence<ByteBuffer>) -> EventLoopFuture<Void> {
        let context = context.value
        let parts = buffers.filter { $0.readableBytes > 0 }
        guard let last = parts.indices.last else { return context.eventLoop.makeSucceededVoidFuture() }
        let written = context.eventLoop.makePromise(of: Void.self)
        for index in parts.indices {
            let part: NIOAny
            switch route {
            case .chunks: part = NIOAny(IOData.byteBuffer(HTTPChunk.framing(parts[index])))
            case .bodyParts: part = NIOAny(HTTPResponsePart.body(parts[index]))
            }
            context.write(part, promise: index == last ? written : nil)
        }
        context.flush()
        return written.futureResult
    }

    /// Ends the response: `last` if given, then the end of the body. The future completes when
    /// the socket took both. Call on the channel's event loop.
    func writeEnd(after last: ByteBuffer?) -> EventLoopFuture<Void> {
        let context = context.value
        let written = context.eventLoop.makePromise(of: Void.self)
        switch route {
        case .chunks:
            if let last { context.write(NIOAny(IOData.byteBuffer(HTTPChunk.framing(last))), promise: nil) }
            context.writeAndFlush(NIOAny(IOData.byteBuffer(Self.lastChunk)), promise: written)
        case .bodyParts:
            if let last { context.write(NIOAny(HTTPResponsePart.body(last)), promise: nil) }
            context.writeAndFlush(NIOAny(HTTPResponsePart.end(nil)), promise: written)
        }
        return written.futureResult
    }
}
