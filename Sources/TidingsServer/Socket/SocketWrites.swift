import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A connection's socket, for ``SocketSendHandler`` to send on past NIO's write path, and the
/// count that says when it may.
///
/// A send happens only when nothing written through NIO is still in flight, so bytes never
/// overtake each other. Used only on the channel's event loop, and only while the channel is
/// active: NIO closes the descriptor on that loop and marks the channel inactive before anything
/// else runs there, so a send never reaches a descriptor number the kernel has handed out again.
final class SocketWrites {
    private let descriptor: CInt
    /// Set once the barrier write is made: from then on, each NIO write is counted.
    private var armed = false
    /// NIO writes, counted since arming, that have not completed.
    private var inFlight = 0

    private init(descriptor: CInt) {
        self.descriptor = descriptor
    }

    /// The socket writes of `channel`, when its descriptor can be found and proven to be this
    /// connection's (``SocketDescriptor``); `nil` otherwise, and on systems other than Linux: then
    /// NIO writes everything, as it always can.
    static func of(_ channel: any Channel) -> SocketWrites? {
        #if canImport(Glibc)
        guard let descriptor = SocketDescriptor.of(channel) else { return nil }
        return SocketWrites(descriptor: descriptor)
        #else
        return nil
        #endif
    }

    /// Whether a write may go to the socket now: armed, and NIO holds nothing.
    var canSend: Bool { armed && inFlight == 0 }

    /// Starts sending once every write NIO holds now has completed: `write` makes an empty NIO
    /// write with the promise it is given, which NIO completes after all of them, in order.
    func arm(on eventLoop: any EventLoop, write: (EventLoopPromise<Void>) -> Void) {
        guard !armed else { return }
        armed = true
        let barrier = eventLoop.makePromise(of: Void.self)
        track(barrier)
        write(barrier)
    }

    /// `promise`, or a new one, counted as a NIO write in flight: sends wait until it completes.
    func tracking(_ promise: EventLoopPromise<Void>?, on eventLoop: any EventLoop) -> EventLoopPromise<Void> {
        let promise = promise ?? eventLoop.makePromise(of: Void.self)
        track(promise)
        return promise
    }

    /// Counts a NIO write's promise when armed: sends wait until it completes. NIO completes a
    /// channel's write promises in order, so the last write's promise stands for those before it.
    private func track(_ promise: EventLoopPromise<Void>) {
        guard armed else { return }
        inFlight += 1
        promise.futureResult.assumeIsolated().whenComplete { _ in self.inFlight -= 1 }
    }

    /// Sends `buffers` in one system call; returns how many bytes the socket took: all, some, or
    /// none when it is full or failed. The caller writes the rest through NIO, which waits for
    /// the socket or reports the error.
    func send(_ buffers: [ByteBuffer]) -> Int {
        #if canImport(Glibc)
        if buffers.count == 1 { return send(buffers[0]) }
        let count = min(buffers.count, Self.maxVectors)
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: count) { vectors in
            Self.pointing(vectors, at: buffers[..<count]) {
                var message = msghdr()
                message.msg_iov = vectors.baseAddress
                message.msg_iovlen = count
                return Self.retryingInterrupts { sendmsg(descriptor, &message, Self.flags) }
            }
        }
        #else
        return 0
        #endif
    }

    /// Sends `buffer`; returns how many bytes the socket took, as ``send(_:)-([ByteBuffer])`` does.
    func send(_ buffer: ByteBuffer) -> Int {
        #if canImport(Glibc)
        buffer.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
            return Self.retryingInterrupts {
                Glibc.send(descriptor, base, bytes.count, Self.flags)
            }
        }
        #else
        return 0
        #endif
    }

    #if canImport(Glibc)
    /// At most this many buffers go in one `sendmsg`; the rest go through NIO.
    private static let maxVectors = 64

    /// Never block (the socket is NIO's, non-blocking anyway) and never raise SIGPIPE on a peer
    /// that has gone: the send fails, and NIO, given the rest, reports it.
    private static let flags = CInt(MSG_NOSIGNAL) | CInt(MSG_DONTWAIT)

    /// Fills `vectors` with the readable bytes of `buffers` and runs `body` while all of them
    /// are pinned: each buffer's bytes are only valid inside its own closure, so the closures nest.
    private static func pointing(
        _ vectors: UnsafeMutableBufferPointer<iovec>,
        at buffers: ArraySlice<ByteBuffer>,
        _ body: () -> Int
    ) -> Int {
        guard let first = buffers.first else { return body() }
        return first.withUnsafeReadableBytes { bytes in
            vectors[vectors.startIndex + buffers.startIndex] = iovec(
                iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress),
                iov_len: bytes.count
            )
            return pointing(vectors, at: buffers.dropFirst(), body)
        }
    }

    /// Runs a send until it is not interrupted; a failure counts as nothing sent.
    private static func retryingInterrupts(_ send: () -> Int) -> Int {
        while true {
            let sent = send()
            if sent >= 0 { return sent }
            if errno != EINTR { return 0 }
        }
    }
    #endif
}
