import NIOCore

/// How one protocol carries a stream's frames, and where its ``StreamOutput`` sits in the
/// pipeline: ``ChunkFraming`` (HTTP/1.1) or ``DataFrameFraming`` (HTTP/2).
protocol StreamFraming {
    /// What the output writes to the handler below it.
    associatedtype Part

    /// A frame from the hub's queue as one part; `nil` when there is nothing to write.
    static func part(for frame: Subscriber.QueuedFrame) -> Part?

    /// Bytes made for one stream as one part; `nil` when there is nothing to write.
    static func part(for bytes: ByteBuffer) -> Part?

    /// Adds `output` where it belongs; false when the pipeline is not of this protocol.
    static func add(_ output: some ChannelHandler, to pipeline: ChannelPipeline.SynchronousOperations) throws -> Bool

    /// Whether the client's half-closure ends the stream (HTTP/1.1: a FIN; an HTTP/2 client
    /// half-closes every stream it opens with a GET).
    static var inputClosedEndsStream: Bool { get }
}
