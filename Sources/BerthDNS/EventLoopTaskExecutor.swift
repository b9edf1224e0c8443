import NIOCore

/// Runs a task's jobs on a NIO event loop instead of the shared cooperative pool: a forwarded query's
/// task (`DatagramResponder`) then goes on while the pool is busy with other work (API requests, a
/// blocking call), so a lookup that must go upstream is not starved into the asker's timeout.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
