/// Runs a stream on its event loop once its writer task has handed it over
/// (``Subscriber/Next/handedOff``): an idle stream then holds no task at all.
///
/// ``Subscriber/drain()`` writes frames and heartbeats itself; it calls the driver only for the
/// two things a loop cannot do alone. Both are called on the stream's event loop.
protocol StreamDriver: AnyObject, Sendable {
    /// The stream lagged and must replay its gap from the log: start a writer task again. It
    /// hands the stream back when it has caught up.
    func resumeWriter()

    /// End the stream: write what the ending sends (the expiry event), close the connection and
    /// release the stream. Called once.
    func finish(_ ending: Subscriber.Ending)
}
