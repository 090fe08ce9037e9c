package import NIOCore

/// Runs a task's jobs on one event loop's thread.
///
/// Work that waits on a channel and then acts on it costs a thread hop each way on the global
/// executor: the channel's event wakes a pool thread, and what that thread writes is handed back
/// to the event loop. Preferring this executor keeps the task where its channel lives.
///
/// A stream's writer runs on its connection's loop, so its writes happen inline and the resumes
/// of every stream on one loop share one wake-up. The change feed runs on its connection's loop,
/// so a wake-up, the read it triggers and the fan-out of the rows happen on one thread, without
/// waiting for a pool thread on a busy machine.
package final class EventLoopTaskExecutor: TaskExecutor {
    package let eventLoop: any EventLoop

    package init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
