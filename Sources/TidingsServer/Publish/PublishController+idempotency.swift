import CoreMetrics
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PostgresNIO
import TidingsCore

extension PublishController {
    /// `POST /publish` with an `Idempotency-Key`: 201 when published now (202 without the id in
    /// logical mode when the capturer has not numbered it in time), 200 with the first id for a
    /// repeat, 409 when the key was used with another body.
    func publishOnce(_ parsed: PublishRequest, key: IdempotencyKey, field: String, logger: Logger) async throws -> Response {
        let client = self.client
        let topics = parsed.topics.map(\.description)
        let statement: PostgresQuery = "SELECT tidings.publish(\(topics), \(parsed.event), (\(parsed.body)::jsonb)->'data')"
        let slot = captureSlot
        let outcome = try await DatabaseCall.run(field: field, logger: logger) {
            try await client.withConnection { connection in
                if logicalCapture { try await PublishedID.requireCapturer(slot: slot, on: connection, logger: logger) }
                return try await IdempotentPublish.run(statement, key: key, logical: logicalCapture, on: connection, logger: logger)
            }
        }
        let id: Int64?
        let status: HTTPResponse.Status
        switch outcome {
        case .published(let published):
            metrics.published.increment()
            id = published
            status = .created
        case .repeated(let earlier):
            id = earlier
            status = .ok
        case .conflict:
            throw APIError(
                status: .conflict,
                error: "idempotency_key_reused",
                detail: "this Idempotency-Key was already used with a different body; use a new key for a new event"
            )
        }
        return Self.answer(id, status: status)
    }
}
