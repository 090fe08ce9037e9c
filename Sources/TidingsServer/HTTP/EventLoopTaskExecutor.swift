import NIOCore

/// Runs a stream's writer task on its connection's event loop.
///
/// A stream spends its life waiting for the hub and then writing a frame to its channel. On the
/// global executor every delivery costs two thread hops: the hub's resume wakes a pool thread,
/// and the write it makes is handed on to the event loop. Preferring this executor runs the
/// writer where the channel lives, so the write happens inline and the resumes of every stream
/// on one loop share one wake-up.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
