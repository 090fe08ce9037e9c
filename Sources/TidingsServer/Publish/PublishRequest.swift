import Foundation
import TidingsCore

/// A validated `POST /publish` body: `{"topics":[…],"event":"name","data":{…}}`.
///
/// The body's own text travels to PostgreSQL, which takes `data` out of it as `jsonb`, so the
/// published JSON is never re-encoded by the gateway.
struct PublishRequest: Sendable {
    static let maxTopics = 32
    static let maxEventLength = 64

    var topics: [Topic]
    var event: String
    /// The whole body, as received.
    var body: String

    /// - Throws: a 400 ``APIError`` saying which field is wrong and what it must be.
    init(body bytes: [UInt8]) throws(APIError) {
        let shape = #"{"topics":["chat/42"],"event":"message","data":{…}}"#
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .badRequest("bad_body", "the body is not UTF-8 text; send JSON like \(shape)")
        }
        let fields: PublishFields
        do {
            fields = try JSONDecoder().decode(PublishFields.self, from: Data(bytes))
        } catch {
            throw .badRequest("bad_body", "the body must be a JSON object like \(shape): \(Self.describe(error))")
        }
        guard (1...Self.maxTopics).contains(fields.topics.count) else {
            throw .badRequest("bad_topics", "topics must name 1 to \(Self.maxTopics) topics, not \(fields.topics.count)")
        }
        var topics: [Topic] = []
        for text in fields.topics {
            do throws(TopicSyntaxError) {
                topics.append(try Topic(validating: text))
            } catch {
                throw .badRequest("bad_topic", "topic \(error.description)")
            }
        }
        try Self.validate(event: fields.event)
        self.topics = topics
        self.event = fields.event
        self.body = text
    }

    private static func validate(event: String) throws(APIError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")
        guard let first = event.first, (1...maxEventLength).contains(event.count), first.isLetter || first.isNumber || first == "_",
            event.allSatisfy(allowed.contains)
        else {
            throw .badRequest(
                "bad_event",
                "event must be 1 to \(maxEventLength) characters of letters, digits and _ . : -, starting with a letter, digit or _"
            )
        }
        guard !event.lowercased().hasPrefix("tidings.") else {
            throw .badRequest("bad_event", "event names starting with 'tidings.' are reserved for the gateway's own events")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _):
            return "the field '\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return "the field '\(path)' has the wrong type"
        default:
            return "it is not valid JSON"
        }
    }
}

/// The fields of a publish body, decoded only to validate them.
private struct PublishFields: Decodable {
    var topics: [String]
    var event: String
    var data: AnyJSONValue
}

/// Any JSON value, including `null`: `data` must be present, whatever it holds.
private struct AnyJSONValue: Decodable {
    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            while !array.isAtEnd { _ = try array.decode(AnyJSONValue.self) }
        } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
            for key in object.allKeys { _ = try object.decode(AnyJSONValue.self, forKey: key) }
        } else {
            _ = try decoder.singleValueContainer()
        }
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
