/// Messages from the test to its page (commands, tokens), fetched by the page with a long poll
/// (`GET /next-command`, `GET /token`): one waiting request at a time, answered when a message
/// arrives or with nothing once the queue is closed.
actor PageCommands {
    private var queued: [String] = []
    private var waiter: CheckedContinuation<String?, Never>?
    private var closed = false

    /// Queues `command` or hands it to the waiting request.
    func send(_ command: String) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: command)
        } else {
            queued.append(command)
        }
    }

    /// The next command; nil once closed. A newer request replaces a waiting one, which then
    /// gets nil (its page is gone or has asked again).
    func next() async -> String? {
        if !queued.isEmpty { return queued.removeFirst() }
        if closed { return nil }
        waiter?.resume(returning: nil)
        return await withCheckedContinuation { waiter = $0 }
    }

    /// Answers the waiting request and every later one with nothing, so the server can stop.
    func close() {
        closed = true
        waiter?.resume(returning: nil)
        waiter = nil
    }
}
