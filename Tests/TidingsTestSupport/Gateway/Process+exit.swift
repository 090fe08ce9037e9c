import Foundation

extension Process {
    /// Runs the process; the stream yields its exit status once it has exited, then finishes.
    package func runReportingExit() throws -> AsyncStream<Int32> {
        let (exited, continuation) = AsyncStream.makeStream(of: Int32.self)
        terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try run()
        return exited
    }
}
