import NIOCore
import NIOPosix
import TidingsCore

/// The event loop the gateway's PostgreSQL listeners run on, apart from the streams' loops.
///
/// On a loop shared with the streams, the next wake-up and read would wait behind the writes of
/// the last delivery. The listeners' tasks prefer ``executor``, so a notification, the read it
/// triggers and the hand-over to the hub run on this one thread, with no hop to a pool thread.
public enum FeedEventLoop {
    public static let eventLoop: any EventLoop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()
    /// Runs a task's jobs on ``eventLoop``.
    public static let executor = EventLoopTaskExecutor(eventLoop: eventLoop)
}
