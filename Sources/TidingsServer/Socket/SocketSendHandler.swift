import NIOCore

/// The last handler before the socket on a connection that carries a stream: it sends what the
/// pipeline flushes with one system call on the socket itself, past NIO's write path.
///
/// A delivery is then that system call and little else: NIO's per-write bookkeeping (its pending
/// write queue, flush, writability accounting and the reference counting around them) was a fifth
/// of the gateway's CPU per delivery, more than everything Tidings itself does per delivery. Being
/// last, it sees every byte the connection sends, whatever made it: HTTP/1.1 chunks, TLS records,
/// HTTP/2 frames.
///
/// NIO owns the socket and keeps owning it: it reads, closes and reports errors, and what this
/// handler cannot send goes down to it (``SocketWrites`` says when sending is safe). A flush is
/// sent directly only when NIO holds nothing, so bytes never overtake each other; a partial or
/// refused send (a full socket, an error) hands the rest to NIO, which waits for the socket,
/// reports the error or closes the channel. A write's promise succeeds once the socket took it.
final class SocketSendHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let socket: SocketWrites
    private var context: ChannelHandlerContext?
    /// The connection, held so a send asks it whether it is open without a trip through the pipeline.
    private var channel: (any Channel)?
    /// Written since the last flush, in order.
    private var unflushed: [(data: IOData, promise: EventLoopPromise<Void>?)] = []
    /// Scratch space for the buffers of one `sendmsg`; keeps its storage.
    private var sending: [ByteBuffer] = []

    private init(socket: SocketWrites) {
        self.socket = socket
    }

    /// Puts a handler last in the pipeline of the connection `channel` runs on (its parent for
    /// an HTTP/2 stream), unless it has one or its socket cannot be reached. Call on the
    /// channel's event loop.
    static func install(on channel: any Channel) {
        // An HTTP/1.1 channel is its connection; an HTTP/2 stream's connection is its parent, on
        // its loop. (An HTTP/1.1 channel's parent is the listening socket: it has no peer.)
        for connection in [channel, channel.parent].compactMap({ $0 }) where connection.eventLoop === channel.eventLoop {
            let pipeline = connection.pipeline.syncOperations
            guard (try? pipeline.context(handlerType: SocketSendHandler.self)) == nil else { return }
            guard let socket = SocketWrites.of(connection) else { continue }
            // Fails only on a closed pipeline, whose connection has nothing left to send.
            try? pipeline.addHandler(SocketSendHandler(socket: socket), position: .first)
            return
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.channel = context.channel
        // What NIO holds already goes first: sends wait for this empty write behind it.
        socket.arm(on: context.eventLoop) { barrier in
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer())), promise: barrier)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if !unflushed.isEmpty {
            passDown(context: context)
            context.flush()
        }
        self.context = nil
        self.channel = nil
    }

    /// Sends `buffer` at once, as a write and a flush from the handler above would, when the
    /// caller's bytes need no handler in between (plain HTTP/1.1's ready-made chunks): the same
    /// send without the trip through the pipeline. False when it cannot send now; then the caller
    /// writes through the pipeline. What the socket does not take goes down to NIO.
    func sendNow(_ buffer: ByteBuffer) -> Bool {
        guard let context, canSendNow else { return false }
        let sent = socket.send(buffer)
        if sent < buffer.readableBytes { passDown(CollectionOfOne(buffer), after: sent, context: context) }
        return true
    }

    /// ``sendNow(_:)-(ByteBuffer)`` for several buffers, in one system call.
    func sendNow(_ buffers: some Sequence<ByteBuffer>) -> Bool {
        guard let context, canSendNow else { return false }
        sending.append(contentsOf: buffers)
        let sent = socket.send(sending)
        guard sent < sending.reduce(0, { $0 + $1.readableBytes }) else {
            sending.removeAll(keepingCapacity: true)
            return true
        }
        // Emptied before NIO gets the rest: its flush can change writability, which drains again and
        // sends through here or ``flush(context:)``, and neither may find these buffers still in it.
        var rest: [ByteBuffer] = []
        swap(&rest, &sending)
        passDown(rest, after: sent, context: context)
        return true
    }

    /// Nothing waits in this handler or in NIO, and the connection is open.
    private var canSendNow: Bool {
        unflushed.isEmpty && socket.canSend && channel?.isActive == true
    }

    /// Hands what a send left of `buffers`, all but their first `sent` bytes, down to NIO.
    private func passDown(_ buffers: some Sequence<ByteBuffer>, after sent: Int, context: ChannelHandlerContext) {
        var skipped = sent
        for var buffer in buffers {
            guard skipped < buffer.readableBytes else {
                skipped -= buffer.readableBytes
                continue
            }
            buffer.moveReaderIndex(forwardBy: skipped)
            skipped = 0
            unflushed.append((.byteBuffer(buffer), nil))
        }
        passDown(context: context)
        context.flush()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        unflushed.append((unwrapOutboundIn(data), promise))
    }

    func flush(context: ChannelHandlerContext) {
        // Nothing counts as sent unless a send was made: an empty write waiting behind NIO's
        // must not complete before them.
        let sendsNow = !unflushed.isEmpty && socket.canSend && channel?.isActive == true
        var sent = sendsNow ? sendUnflushed() : 0
        var taken = 0
        // Succeeded once this handler's state is settled: their callbacks may write again.
        var done: [EventLoopPromise<Void>] = []
        while sendsNow, taken < unflushed.count, case .byteBuffer(let buffer) = unflushed[taken].data,
            sent >= buffer.readableBytes
        {
            sent -= buffer.readableBytes
            if let promise = unflushed[taken].promise { done.append(promise) }
            taken += 1
        }
        if taken == unflushed.count {
            unflushed.removeAll(keepingCapacity: true)
        } else {
            unflushed.removeFirst(taken)
            if sent > 0, case .byteBuffer(var rest) = unflushed[0].data {
                rest.moveReaderIndex(forwardBy: sent)
                unflushed[0].data = .byteBuffer(rest)
            }
            passDown(context: context)
            context.flush()
        }
        for promise in done { promise.succeed() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        passDown(context: context)
        context.close(mode: mode, promise: promise)
    }

    /// Sends the unflushed writes in one system call; how many bytes the socket took (none when
    /// one of them is not a buffer).
    private func sendUnflushed() -> Int {
        if unflushed.count == 1 {
            guard case .byteBuffer(let buffer) = unflushed[0].data else { return 0 }
            return socket.send(buffer)
        }
        defer { sending.removeAll(keepingCapacity: true) }
        for write in unflushed {
            guard case .byteBuffer(let buffer) = write.data else { return 0 }
            sending.append(buffer)
        }
        return socket.send(sending)
    }

    /// Writes the unflushed writes to NIO, in order; sends wait until the last has completed.
    private func passDown(context: ChannelHandlerContext) {
        // Taken out first: a failed write's callback may write again.
        let writes = unflushed
        unflushed = []
        guard let last = writes.indices.last else { return }
        for (index, write) in writes.enumerated() {
            let promise = index == last ? socket.tracking(write.promise, on: context.eventLoop) : write.promise
            context.write(wrapOutboundOut(write.data), promise: promise)
        }
    }
}
