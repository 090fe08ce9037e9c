import AsyncHTTPClient
import NIOCore

/// One parsed piece of an SSE stream, as a client sees it.
package enum SSEMessage: Equatable, Sendable {
    case retry(Int)
    case comment(String)
    case event(id: String?, name: String?, data: String)
}

/// Parses an SSE byte stream lazily: pulls the response body only when the test asks for the
/// next message, so no task pumps it in the background.
package struct SSEMessages: AsyncSequence, Sendable {
    package typealias Element = SSEMessage
    package let body: HTTPClientResponse.Body

    package init(body: HTTPClientResponse.Body) {
        self.body = body
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPClientResponse.Body.AsyncIterator
        var pending: [UInt8] = []
        var id: String?
        var name: String?
        var data: [String] = []
        var queued: [SSEMessage] = []

        package mutating func next() async throws -> SSEMessage? {
            while queued.isEmpty {
                if let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    consume(line)
                    continue
                }
                guard let chunk = try await chunks.next() else { return nil }
                pending.append(contentsOf: chunk.readableBytesView)
            }
            return queued.removeFirst()
        }

        private mutating func consume(_ line: String) {
            if line.isEmpty {
                if !data.isEmpty || name != nil {
                    queued.append(.event(id: id, name: name, data: data.joined(separator: "\n")))
                }
                id = nil
                name = nil
                data = []
            } else if line.hasPrefix(":") {
                queued.append(.comment(String(line.dropFirst()).trimmingPrefix(" ").description))
            } else if line.hasPrefix("retry: ") {
                queued.append(.retry(Int(line.dropFirst(7)) ?? -1))
            } else if line.hasPrefix("id: ") {
                id = String(line.dropFirst(4))
            } else if line.hasPrefix("event: ") {
                name = String(line.dropFirst(7))
            } else if line.hasPrefix("data: ") {
                data.append(String(line.dropFirst(6)))
            }
        }
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator()) }
}

extension SSEMessages.AsyncIterator {
    /// The next event, skipping comments and `retry:`.
    package mutating func nextEvent() async throws -> (id: String?, name: String?, data: String)? {
        while let message = try await next() {
            if case .event(let id, let name, let data) = message { return (id, name, data) }
        }
        return nil
    }
}
