import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import TidingsServer

@Suite("Sending on an accepted connection's socket, past NIO's write path")
struct SocketWritesTests {
    @Test("bytes sent on an accepted channel's socket reach its client, after what NIO held before")
    func sendReachesTheClient() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let (accepted, acceptedChannel) = AsyncStream.makeStream(of: (any Channel).self)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(ReportsActive { acceptedChannel.yield($0) })
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let client = try StalledSocket(port: try #require(server.localAddress?.port), path: "/")
        defer { client.close() }
        var connections = accepted.makeAsyncIterator()
        let channel = try #require(await connections.next())

        // NIO holds a write, then the barrier that arming makes after it.
        let socket = try await channel.eventLoop.submit { () -> NIOLoopBound<SocketWrites>? in
            SocketWrites.of(channel).map { NIOLoopBound($0, eventLoop: channel.eventLoop) }
        }.get()
        let barrier = try await channel.eventLoop.submit { () -> EventLoopFuture<Void>? in
            guard let socket = socket?.value else { return nil }
            channel.writeAndFlush(ByteBuffer(string: "through NIO, "), promise: nil)
            var barrier: EventLoopFuture<Void>?
            socket.arm(on: channel.eventLoop) { promise in
                barrier = promise.futureResult
                channel.writeAndFlush(ByteBuffer(), promise: promise)
            }
            return barrier
        }.get()
        try await #require(barrier).get()
        let sent = try await channel.eventLoop.submit { () -> Int? in
            guard let socket = socket?.value, socket.canSend else { return nil }
            return socket.send([ByteBuffer(string: "then "), ByteBuffer(string: "sent directly.")])
        }.get()
        #expect(sent == 19)
        #expect(await client.readUntil("directly.", limit: 1 << 10) == "through NIO, then sent directly.")
    }

    @Test("a channel without a socket of its own has none to send on")
    func embeddedChannel() {
        #expect(SocketWrites.of(EmbeddedChannel()) == nil)
    }
}

/// Hands over an accepted channel once it is active: writes before that would wait.
private final class ReportsActive: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    private let report: @Sendable (any Channel) -> Void

    init(_ report: @escaping @Sendable (any Channel) -> Void) {
        self.report = report
    }

    func channelActive(context: ChannelHandlerContext) {
        report(context.channel)
        context.fireChannelActive()
    }
}
