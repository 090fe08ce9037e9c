import Foundation

/// The Chrome DevTools Protocol over Chromium's `--remote-debugging-pipe`: commands go out as
/// NUL-terminated JSON on one pipe, replies and events come back the same way on the other.
///
/// A test uses it to drive pages it does not serve itself (the `tidings dev` demo): open tabs,
/// run script in them, hold a tab's requests. Replies are matched to commands by id; events are
/// queued per method and session until a test awaits them.
actor DevToolsConnection {
    private let output: FileHandle
    private var nextID = 1
    private var replies: [Int: CheckedContinuation<Data, any Error>] = [:]
    private var events: [String: [Data]] = [:]
    private var eventWaiters: [String: [CheckedContinuation<Data, any Error>]] = [:]
    private var closedReason: String?

    /// `output` is the pipe Chromium reads commands from; `input` yields the messages it writes.
    init(output: FileHandle, input: AsyncStream<Data>) {
        self.output = output
        Task { await self.route(input) }
    }

    /// Sends `method` with `params` (to a tab when `session` is given) and returns the reply's
    /// `result` as JSON.
    /// - Throws: a ``TestFailure`` with the protocol's error, or when the browser has gone.
    @discardableResult
    func send(_ method: String, _ params: [String: any Sendable] = [:], session: String? = nil) async throws -> Data {
        if let closedReason { throw TestFailure("cannot send \(method): \(closedReason)") }
        let id = nextID
        nextID += 1
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var bytes = try JSONSerialization.data(withJSONObject: message)
        bytes.append(0)
        try output.write(contentsOf: bytes)
        return try await withCheckedThrowingContinuation { replies[id] = $0 }
    }

    /// The next event named `method` from `session` (nil: the browser itself), queued or to come.
    func event(_ method: String, session: String?) async throws -> Data {
        let key = Self.key(method, session)
        if var queued = events[key], !queued.isEmpty {
            let first = queued.removeFirst()
            events[key] = queued
            return first
        }
        if let closedReason { throw TestFailure("waiting for \(method): \(closedReason)") }
        return try await withCheckedThrowingContinuation { eventWaiters[key, default: []].append($0) }
    }

    private static func key(_ method: String, _ session: String?) -> String { "\(session ?? "-") \(method)" }

    private func route(_ input: AsyncStream<Data>) async {
        for await data in input {
            do {
                try dispatch(data)
            } catch {
                close("unreadable DevTools message: \(error)")
                return
            }
        }
        close("the browser closed its DevTools pipe")
    }

    private func dispatch(_ data: Data) throws {
        guard let message = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(String(decoding: data, as: UTF8.self))")
        }
        if let id = message["id"] as? Int, let waiter = replies.removeValue(forKey: id) {
            if let error = message["error"] as? [String: Any] {
                waiter.resume(throwing: TestFailure("DevTools refused: \(error["message"] ?? error)"))
            } else {
                waiter.resume(returning: try JSONSerialization.data(withJSONObject: message["result"] ?? [String: Any]()))
            }
        } else if let method = message["method"] as? String {
            let key = Self.key(method, message["sessionId"] as? String)
            let params = try JSONSerialization.data(withJSONObject: message["params"] ?? [String: Any]())
            if var waiting = eventWaiters[key], !waiting.isEmpty {
                let waiter = waiting.removeFirst()
                eventWaiters[key] = waiting
                waiter.resume(returning: params)
            } else {
                events[key, default: []].append(params)
            }
        }
    }

    private func close(_ reason: String) {
        closedReason = reason
        for waiter in replies.values { waiter.resume(throwing: TestFailure(reason)) }
        for waiter in eventWaiters.values.joined() { waiter.resume(throwing: TestFailure(reason)) }
        replies = [:]
        eventWaiters = [:]
    }
}
