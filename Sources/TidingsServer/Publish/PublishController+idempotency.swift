import CoreMetrics
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TidingsCore
import TidingsPostgres

extension PublishController {
    /// `POST /publish` with an `Idempotency-Key`: 201 when published now (202 without the id in
    /// logical mode when the capturer has not numbered it in time), 200 with the first id for a
    /// repeat, 409 when the key was used with another body.
    func publishOnce(_ parsed: PublishRequest, key: IdempotencyKey, field: String, log: ChangeLog) async throws -> Response {
        let key = PublishKey(scope: key.scope, key: key.key, bodyHash: key.bodyHash)
        let outcome = try await DatabaseCall.run(field: field, logger: log.logger) {
            try await log.publish(topics: parsed.topics.map(\.description), event: parsed.event, envelope: parsed.body, key: key)
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
