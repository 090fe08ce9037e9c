public import NIOCore

/// What the hub knows of a stream beyond its mailbox (``Subscriber``): where and how to tell it
/// that frames are queued, that the heartbeat clock ticked, or that it must end. The hub knows
/// nothing of HTTP or TLS; the stream (``StreamConnection``) does the writing.
///
/// Public only so that the hub benchmarks (`Benchmarks/HubBenchmarks`, a separate package) can
/// register streams without sockets; no other code outside this module should conform to it.
public protocol StreamSink: AnyObject, Sendable {
    /// The event loop ``drain()`` and ``tick()`` are called on.
    var eventLoop: any EventLoop { get }

    /// Frames are queued in the stream's ``Subscriber``. Called on ``eventLoop``.
    func drain()

    /// The hub's heartbeat clock ticked. Called on ``eventLoop``.
    func tick()

    /// The stream must end; the first reason wins. Called from any thread.
    func end(_ reason: Subscriber.Ending)
}
