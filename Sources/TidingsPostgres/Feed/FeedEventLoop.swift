package import NIOCore
import NIOPosix
package import TidingsCore

/// The event loop the gateway's PostgreSQL listeners run on, apart from the streams' loops.
///
/// On a loop shared with the streams, the next wake-up and read would wait behind the writes of
/// the last delivery. The listeners' tasks prefer ``executor``, so a notification, the read it
/// triggers and the hand-over to the hub run on this one thread, with no hop to a pool thread.
///
/// The gateway creates one and ends its thread with ``shutdown()`` once every service that runs
/// on it has returned: a job handed to a loop that has shut down is dropped, and its task never
/// resumes.
package final class FeedEventLoop: Sendable {
    private let group: MultiThreadedEventLoopGroup
    package let eventLoop: any EventLoop
    /// Runs a task's jobs on ``eventLoop``.
    package let executor: EventLoopTaskExecutor

    /// Starts the loop's thread.
    package init() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
        executor = EventLoopTaskExecutor(eventLoop: eventLoop)
    }

    /// Closes what still runs on the loop and ends its thread. Call once, after the feed and the
    /// channel listeners have returned.
    package func shutdown() async throws {
        try await group.shutdownGracefully()
    }
}
