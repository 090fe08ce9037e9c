import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import TidingsServer

@Suite("Sending on an accepted connection's socket, past NIO's write path")
struct SocketWritesTests {
    @Test("bytes sent on an accepted channel's socket reach its client, after what NIO held before")
    func sendReachesTheClient() async throws {
        let (server, client, channel) = try await connectedPair()
        defer {
            server.close(promise: nil)
            client.close()
        }
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

    @Test("a flood through the send handler reaches a client that reads late, byte for byte, each write's promise kept")
    func floodThroughTheHandler() async throws {
        let (server, client, channel) = try await connectedPair()
        defer {
            server.close(promise: nil)
            client.close()
        }
        let installed = try await channel.eventLoop.submit {
            SocketSendHandler.install(on: channel)
            return (try? channel.pipeline.syncOperations.context(handlerType: SocketSendHandler.self)) != nil
        }.get()
        #expect(installed)
        // 8 MB while the client reads nothing: the first writes go to the socket, the rest wait
        // in NIO once the socket is full (4 MB at most here); then one more write, once NIO has
        // written everything, goes to the socket again.
        let chunk = 40_000
        let flood = try await channel.eventLoop.submit {
            (0..<200).map { index in channel.writeAndFlush(ByteBuffer(repeating: UInt8(index % 251), count: chunk)) }
        }.get()
        let first = await client.read(count: 200 * chunk)
        for written in flood { try await written.get() }
        try await channel.writeAndFlush(ByteBuffer(repeating: 250, count: chunk)).get()
        let second = await client.read(count: chunk)
        let received = first + second
        #expect(received.count == 201 * chunk)
        // Chunk k is filled with k % 251; the last one, written after, with 250.
        let misplaced = received.indices.first { received[$0] != (($0 / chunk) == 200 ? 250 : UInt8(($0 / chunk) % 251)) }
        #expect(misplaced == nil, "byte \(misplaced ?? 0) is out of place")
    }

    @Test("buffers handed straight to the send handler reach a client that reads late, byte for byte")
    func floodHandedStraight() async throws {
        let (server, client, channel) = try await connectedPair()
        defer {
            server.close(promise: nil)
            client.close()
        }
        let chunk = 40_000
        let buffer: @Sendable (Int) -> ByteBuffer = { index in ByteBuffer(repeating: UInt8(index % 251), count: chunk) }
        // 8 MB while the client reads nothing, the way the drains hand chunks over: one at a time
        // and two at once, through the pipeline whenever the handler cannot send. The socket
        // fills part way through a send; the rest of it goes to NIO, and later ones wait behind it.
        let sentStraight = try await channel.eventLoop.submit { () -> Int in
            SocketSendHandler.install(on: channel)
            let handler = try channel.pipeline.syncOperations.handler(type: SocketSendHandler.self)
            var straight = 0
            for index in stride(from: 0, to: 200, by: 2) {
                let pair = [buffer(index), buffer(index + 1)]
                if index % 4 == 0, handler.sendNow(pair) {
                    straight += 2
                } else if index % 4 == 0 {
                    for part in pair { channel.write(part, promise: nil) }
                    channel.flush()
                } else {
                    for part in pair {
                        if handler.sendNow(part) { straight += 1 } else { channel.writeAndFlush(part, promise: nil) }
                    }
                }
            }
            return straight
        }.get()
        #expect(sentStraight > 0)
        let received = await client.read(count: 200 * chunk)
        #expect(received.count == 200 * chunk)
        let misplaced = received.indices.first { received[$0] != UInt8(($0 / chunk) % 251) }
        #expect(misplaced == nil, "byte \(misplaced ?? 0) is out of place")
    }

    @Test("a channel without a socket of its own has none to send on")
    func embeddedChannel() {
        #expect(SocketWrites.of(EmbeddedChannel()) == nil)
    }
}

/// A listening channel, a client socket that reads only when asked, and the accepted channel.
private func connectedPair() async throws -> (server: any Channel, client: StalledSocket, accepted: any Channel) {
    let (accepted, acceptedChannel) = AsyncStream.makeStream(of: (any Channel).self)
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in
            channel.pipeline.addHandler(ReportsActive { acceptedChannel.yield($0) })
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let client = try StalledSocket(port: try #require(server.localAddress?.port), path: "/")
    var connections = accepted.makeAsyncIterator()
    return (server, client, try #require(await connections.next()))
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
