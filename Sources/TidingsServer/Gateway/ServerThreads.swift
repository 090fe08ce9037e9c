import NIOCore

/// How many event-loop threads accept connections and write streams, and the one place that
/// sets it for the process.
///
/// Every stream is written by its connection's event loop, while the change feed reads and fans
/// out each event on a thread of its own (`FeedEventLoop`), often beside PostgreSQL, and the
/// kernel does the network work of every send. With a loop on every core, the loops take the
/// cores the feed, PostgreSQL and the clients on the same machine need, and each event's fan-out
/// waits for them; so by default the server keeps one core free (Benchmarks/RESULTS.md, "One
/// event loop fewer than the cores").
package enum ServerThreads {
    /// The thread count for `configured` (`threads:` in the config; `nil` for `auto`): as
    /// configured, else one fewer than `cores`, at least one.
    package static func count(configured: Int?, cores: Int = System.coreCount) -> Int {
        configured ?? max(1, cores - 1)
    }

    /// Sizes NIO's shared event-loop group, which the HTTP server and the PostgreSQL client run on.
    /// Call once per process, before anything uses that group: NIO stops the process otherwise.
    package static func apply(_ count: Int) {
        NIOSingletons.groupLoopCountSuggestion = count
    }
}
