import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TidingsPostgres
import TidingsTestSupport

@testable import TidingsServer

/// The change feed's event loop belongs to its gateway: no thread outlives the gateway that
/// made it, and two gateways in one process do not share one.
@Suite("The feed's event loop", .timeLimit(.minutes(1)))
struct FeedLoopTests {
    /// The kernel's id of the thread `loop` runs on (`/proc/thread-self` names it `PID/task/TID`).
    static func threadID(of loop: any EventLoop) async throws -> String {
        let path = try await loop.submit { try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self") }.get()
        guard let thread = path.split(separator: "/").last else { throw TestFailure("no thread id in \(path)") }
        return String(thread)
    }

    @Test("each gateway runs its feed on a thread of its own, and that thread ends when the gateway stops")
    func threadEndsWithTheGateway() async throws {
        let client = try HTTPClient.make()
        defer { client.shutdown { _ in } }
        try await TestDatabase.with("feed_loop") { _, config in
            let threads = try await LiveGateway.with(config) { first in
                try await first.waitUntilReady(client: client)
                return try await LiveGateway.with(config) { second in
                    try await second.waitUntilReady(client: client)
                    return [
                        try await Self.threadID(of: first.gateway.feedLoop.eventLoop),
                        try await Self.threadID(of: second.gateway.feedLoop.eventLoop),
                    ]
                }
            }
            #expect(Set(threads).count == 2, "the gateways share the feed thread \(threads)")
            for thread in threads {
                #expect(
                    !FileManager.default.fileExists(atPath: "/proc/self/task/\(thread)"),
                    "the feed thread \(thread) outlived its gateway"
                )
            }
        }
    }
}
