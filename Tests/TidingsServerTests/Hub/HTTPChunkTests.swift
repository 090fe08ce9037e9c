import NIOCore
import Testing

@testable import TidingsServer

@Suite("A frame's HTTP/1.1 chunk, made once for every stream")
struct HTTPChunkTests {
    @Test("a frame is framed as its length in hex, CRLF, the bytes, CRLF; an empty one as nothing")
    func framing() {
        let frame = ByteBuffer(string: "id: 7\nevent: a\ndata: {}\n\n")
        #expect(String(buffer: HTTPChunk.framing(frame)) == "19\r\nid: 7\nevent: a\ndata: {}\n\n\r\n")
        let large = ByteBuffer(repeating: UInt8(ascii: "x"), count: 300)
        #expect(String(buffer: HTTPChunk.framing(large)) == "12c\r\n" + String(repeating: "x", count: 300) + "\r\n")
        #expect(HTTPChunk.framing(ByteBuffer()).readableBytes == 0)
    }
}
