import Foundation
package import Logging
import ServiceLifecycle

/// Logical capture as a service of the gateway (`capture.mode: logical`): runs the
/// ``LogicalCapturer`` on a thread of its own, since every libpq call blocks, and stops it on
/// graceful shutdown or cancellation. Every gateway runs one; the advisory lock lets exactly one
/// of them read the slot at a time.
package struct LogicalCaptureService: Service {
    private let settings: LogicalCaptureSettings
    package let status: CaptureStatus
    private let logger: Logger
    private let captured: @Sendable (CapturedEvents) -> Void

    /// - Parameter captured: takes the events of each batch this gateway's capturer committed, in
    ///   commit order, on the capturer's thread (``ChangeFeed/receiveCaptured(_:)``); it must not block.
    package init(
        settings: LogicalCaptureSettings,
        status: CaptureStatus = CaptureStatus(),
        logger: Logger,
        captured: @escaping @Sendable (CapturedEvents) -> Void = { _ in }
    ) {
        self.settings = settings
        self.status = status
        self.logger = logger
        self.captured = captured
    }

    package func run() async throws {
        let stop = CaptureStopSignal()
        let (settings, status, logger, captured) = (settings, status, logger, captured)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    let thread = Thread {
                        LogicalCapturer(settings: settings, status: status, stop: stop, logger: logger, captured: captured).run()
                        done.resume()
                    }
                    thread.name = "tidings-capturer"
                    thread.start()
                }
            } onCancel: {
                stop.stop()
            }
        } onGracefulShutdown: {
            stop.stop()
        }
    }
}
