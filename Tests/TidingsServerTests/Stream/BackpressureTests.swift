import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("A slow subscriber never holds back the others", .timeLimit(.minutes(6)))
struct BackpressureTests {
    @Test("a subscriber that never reads is cut off while a normal one gets all 5,000 events of one burst")
    func neverReadingSubscriberIsCutOff() async throws {
        // Load-heavy: one such test at a time (see HeavyTestGate).
        await HeavyTestGate.shared.enter()
        defer { HeavyTestGate.shared.leave() }
        let stream = StreamSettings(heartbeat: .milliseconds(500), retry: .seconds(2), maxSelectors: 32, buffer: 32)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("slow", stream: stream) { database, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                let stalled = try StalledSocket(port: live.port, path: "/events?topic=items/**")
                defer { stalled.close() }
                await stalled.readUntil("retry: 2000")
                var (_, normal) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                #expect(try await normal.next() == .retry(2000))
                #expect(live.gateway.hub.subscriberCount == 2)

                try await database.execute("INSERT INTO public.items SELECT g, 1, repeat('x', 2000) FROM generate_series(1, 5000) g")
                var received = 0
                var lastRow = 0
                while received < 5000 {
                    let event = try #require(try await normal.nextEvent())
                    let row = try #require(ResumeTests.rowID(event.data))
                    #expect(row == lastRow + 1)
                    lastRow = row
                    received += 1
                }
                #expect(received == 5000)
                // The stalled one is cut off within two heartbeats of its write getting stuck
                // (awaited before reading: a socket that reads is no longer stalled), and its
                // connection closes.
                await live.gateway.hub.testOnlyCutOffs(reaching: 1)
                let read = await stalled.readUntilClosed(limit: 64 << 20)
                #expect(read < 64 << 20)
                #expect(live.gateway.hub.subscriberCount == 1)
                #expect(live.gateway.hub.testOnlyCutOffCount == 1)
            }
        }
    }

    /// The stream's socket fills, its channel turns unwritable and the stream stops taking from its
    /// queue, then takes again once NIO has written what it held: 10 MB cannot fit in the kernel's
    /// buffers (4 MB at most for the gateway's side, 4 KB for the client's), so every step is taken.
    /// With a queue of 32 the subscriber also overflows and replays its gap from the log.
    @Test(
        "a subscriber that stops reading while its socket fills gets every event once, in order, when it reads again",
        arguments: [8192, 32]
    )
    func pausedSubscriberGetsEveryEvent(buffer: Int) async throws {
        // Load-heavy: one such test at a time (see HeavyTestGate).
        await HeavyTestGate.shared.enter()
        defer { HeavyTestGate.shared.leave() }
        // A socket that stays full for two heartbeats is cut off, by design; the pause here lasts
        // as long as the other subscriber takes to read 10 MB, which a loaded machine stretches
        // past 20 s. 30 s heartbeats keep this test about the pause, not about the cut-off.
        let stream = StreamSettings(heartbeat: .seconds(30), retry: .seconds(2), maxSelectors: 32, buffer: buffer)
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("paused", stream: stream) { database, config in
            try await LiveGateway.with(config) { live in
                try await live.waitUntilReady(client: client)
                let paused = try StalledSocket(port: live.port, path: "/events?topic=items/**")
                defer { paused.close() }
                await paused.readUntil("retry: 2000")
                var (_, normal) = try await openStream(client, "\(live.baseURL)/events?topic=items/**")
                #expect(try await normal.next() == .retry(2000))
                await live.gateway.hub.testOnlyStreamsOpened(reaching: 2)

                try await database.execute("INSERT INTO public.items SELECT g, 1, repeat('x', 2000) FROM generate_series(1, 5000) g")
                var ids: [String] = []
                while ids.count < 5000 {
                    ids.append(try #require(try await normal.nextEvent()).id ?? "")
                }
                let last = try #require(ids.last)
                let received = await paused.readUntil("id: \(last)\n", limit: 64 << 20)
                let got = StalledSocket.eventIDs(in: received)
                if got != ids {
                    // Says whether the ids that did not come in place were lost or came late.
                    let late = StalledSocket.eventIDs(in: await paused.readWhatFollows())
                    Issue.record("ids received, in runs: \(StalledSocket.runs(of: got)); after \(last): \(StalledSocket.runs(of: late))")
                }
                #expect(got.count == ids.count)
                let firstDifference = zip(got, ids).first { $0 != $1 }
                #expect(firstDifference == nil, "got id \(firstDifference?.0 ?? "") where \(firstDifference?.1 ?? "") was due")
                #expect(live.gateway.hub.testOnlyCutOffCount == 0)
            }
        }
    }
}

/// A plain-HTTP client socket with a tiny receive buffer that sends one request and then does
/// not read: the slowest possible subscriber.
final class StalledSocket: @unchecked Sendable {
    // Used from one test task only.
    private let descriptor: Int32

    init(port: Int, path: String) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var size: Int32 = 4096
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect failed: errno \(errno)") }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        _ = request.withCString { send(descriptor, $0, strlen($0), 0) }
    }

    /// Reads, on a thread of its own, until `marker` has arrived: the stream is registered.
    func readUntil(_ marker: String) async {
        await withCheckedContinuation { continuation in
            Thread {
                self.blockingReadUntil(marker)
                continuation.resume()
            }.start()
        }
    }

    private func blockingReadUntil(_ marker: String) {
        var seen: [UInt8] = []
        var byte: UInt8 = 0
        while !String(decoding: seen, as: UTF8.self).contains(marker) {
            guard recv(descriptor, &byte, 1, 0) == 1 else { return }
            seen.append(byte)
        }
    }

    /// Reads, on a thread of its own, until `marker` has come, the server closes the connection
    /// or `limit` bytes have come; returns the bytes as text.
    func readUntil(_ marker: String, limit: Int) async -> String {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.blockingRead(until: Array(marker.utf8), limit: limit)) }.start()
        }
    }

    private func blockingRead(until marker: [UInt8], limit: Int) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received.count < limit {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, 65536, 0) }
            if count <= 0 { break }
            // Only the new bytes and the few before them can complete the marker.
            let searchFrom = max(0, received.count - marker.count)
            received.append(contentsOf: buffer[..<count])
            if received[searchFrom...].firstRange(of: marker) != nil { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Reads, on a thread of its own, what comes within two seconds of the last bytes; returns it as text.
    func readWhatFollows() async -> String {
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return await readUntil("\u{0}", limit: 64 << 20)
    }

    /// `ids` as runs of consecutive numbers, such as `["1-1064", "2065-5000"]`.
    static func runs(of ids: [String]) -> [String] {
        var runs: [(first: Int, last: Int)] = []
        for id in ids.compactMap({ Int($0) }) {
            if let run = runs.last, run.last + 1 == id {
                runs[runs.count - 1].last = id
            } else {
                runs.append((id, id))
            }
        }
        return runs.map { "\($0.first)-\($0.last)" }
    }

    /// Reads, on a thread of its own, `count` bytes or until the server closes the connection.
    func read(count: Int) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.blockingRead(count: count)) }.start()
        }
    }

    private func blockingRead(count: Int) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received.count < count {
            let wanted = min(65536, count - received.count)
            let read = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, wanted, 0) }
            if read <= 0 { break }
            received.append(contentsOf: buffer[..<read])
        }
        return received
    }

    /// The `id:` fields of the SSE events in `text`, in order (chunk framing and all).
    static func eventIDs(in text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            line.hasPrefix("id: ") ? String(line.dropFirst(4)) : nil
        }
    }

    /// Reads, on a thread of its own, until the server closes the connection; returns the bytes read.
    func readUntilClosed(limit: Int) async -> Int {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.blockingRead(limit: limit)) }.start()
        }
    }

    private func blockingRead(limit: Int) -> Int {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while total < limit {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, 65536, 0) }
            if count <= 0 { break }
            total += count
        }
        return total
    }

    func close() { Glibc.close(descriptor) }
}
