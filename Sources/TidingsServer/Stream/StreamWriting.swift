import NIOCore

/// What a ``StreamConnection`` needs of its output (``StreamOutput``), whatever its framing.
///
/// Everything is called on the channel's event loop.
protocol StreamWriting: AnyObject {
    /// Receives the connection's events (writability, the client leaving) while set; owns it.
    var connection: StreamConnection? { get set }

    /// Writes a frame from the hub's queue: one write, bytes shared with every other stream.
    func write(_ frame: Subscriber.QueuedFrame)

    /// Writes one frame of bytes made for this stream (a replayed page's event, `retry:`).
    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?)

    func flush()

    /// Takes the output out of the pipeline once the response is over.
    func remove()
}
