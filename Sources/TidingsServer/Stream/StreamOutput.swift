import NIOCore

/// Where one stream's bytes go: a handler of ours in the stream's pipeline that writes SSE
/// frames in its protocol's framing (``HTTP1ChunkOutput``, ``HTTP2DataOutput``) through its own
/// context, and tells the stream's ``StreamConnection`` what happens to the connection.
///
/// Everything is called on the channel's event loop. Writes are not flushed until ``flush()``:
/// a stream writes everything a drain gave it, then flushes once.
protocol StreamOutput: AnyObject {
    /// Receives the connection's events (writability, the client leaving) while set.
    var connection: StreamConnection? { get set }

    /// Writes a frame from the hub's queue: one write, bytes shared with every other stream.
    func write(_ frame: Subscriber.QueuedFrame)

    /// Writes one frame of bytes made for this stream (a replayed page's event, `retry:`).
    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?)

    func flush()

    /// Takes the output out of the pipeline once the response is over.
    func remove()
}
