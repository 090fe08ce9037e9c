import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP2

/// HTTP/2: each frame is one body part, which the stream's codec
/// (`HTTP2FramePayloadToHTTPServerCodec`) sends as one DATA frame.
///
/// The output sits just above that codec, the first handler of the stream's channel, so
/// Hummingbird's response head and end and these body parts meet at the codec in the order they
/// were written.
enum DataFrameFraming: StreamFraming {
    static func part(for frame: Subscriber.QueuedFrame) -> HTTPResponsePart? {
        frame.bytes.readableBytes > 0 ? .body(frame.bytes) : nil
    }

    static func part(for bytes: ByteBuffer) -> HTTPResponsePart? {
        .body(bytes)
    }

    static func add(_ output: some ChannelHandler, to pipeline: ChannelPipeline.SynchronousOperations) throws -> Bool {
        let codec: HTTP2FramePayloadToHTTPServerCodec
        do {
            codec = try pipeline.handler(type: HTTP2FramePayloadToHTTPServerCodec.self)
        } catch ChannelPipelineError.notFound {
            return false
        }
        try pipeline.addHandler(output, position: .after(codec))
        return true
    }

    static var inputClosedEndsStream: Bool { false }
}
