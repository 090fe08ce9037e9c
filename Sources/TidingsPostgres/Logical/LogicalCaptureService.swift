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

    package init(settings: LogicalCaptureSettings, status: CaptureStatus = CaptureStatus(), logger: Logger) {
        self.settings = settings
        self.status = status
        self.logger = logger
    }

    package func run() async throws {
        let stop = CaptureStopSignal()
        let (settings, status, logger) = (settings, status, logger)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                    let thread = Thread {
                        LogicalCapturer(settings: settings, status: status, stop: stop, logger: logger).run()
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
