import NIOCore
import NIOHTTP1

/// HTTP/1.1: each frame is one chunk of the chunked response body, written in one write.
///
/// The output sits just below NIO's `HTTPResponseEncoder` (above TLS, when there is TLS), so
/// Hummingbird writes the response head and, at the end, the last chunk through the encoder,
/// while every frame between goes below it, already framed: the hub frames each event once
/// (``Subscriber/QueuedFrame/chunk``) for every HTTP/1.1 stream, where the encoder would make
/// three writes and a buffer per frame and stream. The encoder frames a body without a length as
/// chunks on HTTP/1.1, and `/events` answers without a length.
enum ChunkFraming: StreamFraming {
    static func part(for frame: Subscriber.QueuedFrame) -> IOData? {
        frame.chunk.readableBytes > 0 ? .byteBuffer(frame.chunk) : nil
    }

    static func part(for bytes: ByteBuffer) -> IOData? {
        let chunk = HTTPChunk.framing(bytes)
        return chunk.readableBytes > 0 ? .byteBuffer(chunk) : nil
    }

    static func add(_ output: some ChannelHandler, to pipeline: ChannelPipeline.SynchronousOperations) throws -> Bool {
        let encoder: HTTPResponseEncoder
        do {
            encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
        } catch ChannelPipelineError.notFound {
            return false
        }
        try pipeline.addHandler(output, position: .before(encoder))
        return true
    }

    // Hummingbird allows half-closure: a client's FIN leaves the channel open.
    static var inputClosedEndsStream: Bool { true }
}
