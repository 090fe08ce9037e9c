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
/// async writer; on a plain HTTP/1.1 stream on its event loop, one `send` on the socket
/// (``SocketWrites``), NIO taking only what the socket did not. It is used while the stream's
/// writer task is parked or gone (``StreamDriver``) and the channel is writable
/// (``Subscriber/drain()``): nothing else is writing this response then, so the frames follow
/// everything the writer wrote, in order. A stream on its event loop
/// writes everything through it: heartbeats, replayed pages and the end of the response too.
///
/// On HTTP/1.1 it writes each frame's ready-made chunk (``HTTPChunk``) below NIO's response
/// encoder, which frames every body without a length as chunks (Hummingbird answers HTTP/1.1
/// with no `Content-Length` on a stream): one buffer per delivery, shared by all streams. On
/// HTTP/2 it writes body parts through the context of Hummingbird's
/// `HTTPConnectionStateHandler`, so they reach the codec that makes DATA frames.
public struct DirectOutput: Sendable {
    private enum Route {
        /// Below the HTTP/1.1 response encoder: takes framed chunks.
        case chunks
        /// Above the HTTP/2 codec: takes body parts.
        case bodyParts
    }

    private let context: NIOLoopBound<ChannelHandlerContext>
    private let route: Route
    /// Plain HTTP/1.1 only, where nothing lies between the chunks and the socket.
    private let socket: NIOLoopBound<SocketWrites>?
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
            socket = encrypted ? nil : SocketWrites.of(channel).map { NIOLoopBound($0, eventLoop: channel.eventLoop) }
        } else if let state = try? pipeline.context(handlerType: HTTPConnectionStateHandler.self) {
            context = NIOLoopBound(state, eventLoop: channel.eventLoop)
            route = .bodyParts
            socket = nil
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
        switch route {
        case .chunks:
            send(frames.compactMap { $0.chunk.readableBytes > 0 ? $0.chunk : nil })
        case .bodyParts:
            let context = context.value
            for frame in frames { context.write(NIOAny(HTTPResponsePart.body(frame.bytes)), promise: nil) }
            context.flush()
        }
    }

    /// Writes and flushes one frame. Call on the channel's event loop.
    func write(_ frame: Subscriber.QueuedFrame) {
        switch route {
        case .chunks:
            guard frame.chunk.readableBytes > 0 else { return }
            send(frame.chunk)
        case .bodyParts:
            context.value.writeAndFlush(NIOAny(HTTPResponsePart.body(frame.bytes)), promise: nil)
        }
    }

    /// Sends `chunk` on the socket when it can, and what the socket did not take through NIO.
    private func send(_ chunk: ByteBuffer) {
        let sent = sendOnSocket { $0.send(chunk) }
        guard sent < chunk.readableBytes else { return }
        var rest = chunk
        rest.moveReaderIndex(forwardBy: sent)
        context.value.writeAndFlush(NIOAny(IOData.byteBuffer(rest)), promise: socket?.value.promise(on: channel.eventLoop))
    }

    /// Sends `chunks` on the socket in one system call when it can, and what the socket did not
    /// take through NIO.
    private func send(_ chunks: [ByteBuffer]) {
        var sent = sendOnSocket { $0.send(chunks) }
        var rest = chunks[...]
        while let first = rest.first, sent >= first.readableBytes {
            sent -= first.readableBytes
            rest.removeFirst()
        }
        guard let last = rest.indices.last else { return }
        let context = context.value
        for index in rest.indices {
            var chunk = rest[index]
            if index == rest.startIndex { chunk.moveReaderIndex(forwardBy: sent) }
            let promise = index == last ? socket?.value.promise(on: channel.eventLoop) : nil
            context.write(NIOAny(IOData.byteBuffer(chunk)), promise: promise)
        }
        context.flush()
    }

    /// Runs `send` when the socket may be written directly; how many bytes it took (0 if not).
    private func sendOnSocket(_ send: (SocketWrites) -> Int) -> Int {
        guard let socket = socket?.value, socket.canSend, channel.isActive else { return 0 }
        return send(socket)
    }

    /// Lets live frames go straight to the socket once NIO's writes so far have completed. Call on
    /// the channel's event loop when the stream is handed to it.
    func takeOverSocket() {
        guard let socket = socket?.value else { return }
        socket.arm(on: channel.eventLoop) { promise in
            context.value.writeAndFlush(NIOAny(IOData.byteBuffer(Self.empty)), promise: promise)
        }
    }

    private static let empty = ByteBuffer()

    /// Writes and flushes a heartbeat. Call on the channel's event loop.
    func writeHeartbeat() {
        switch route {
        case .chunks: send(Self.heartbeatChunk)
        case .bodyParts: context.value.writeAndFlush(NIOAny(HTTPResponsePart.body(SSEFrame.heartbeat)), promise: nil)
        }
    }

    /// Writes and flushes `buffers` as body data; the future completes when the socket took
    /// them. Call on the channel's event loop.
    func write(contentsOf buffers: some Sequence<ByteBuffer>) -> EventLoopFuture<Void> {
        let context = context.value
        let parts = buffers.filter { $0.readableBytes > 0 }
        guard let last = parts.indices.last else { return context.eventLoop.makeSucceededVoidFuture() }
        let written = context.eventLoop.makePromise(of: Void.self)
        socket?.value.track(written)
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
        socket?.value.track(written)
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
