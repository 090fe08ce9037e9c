import Foundation
import NIOCore
import TidingsCore

/// A channel's NOTIFY payload turned into a live event: its topics from the channel's templates
/// (placeholders filled from the payload's top-level keys) and its data, one line of JSON.
struct ChannelPayload: Sendable {
    var topics: [Topic]
    var data: ByteBuffer

    /// Why a payload was dropped.
    enum Problem: Error, Equatable, CustomStringConvertible {
        case notJSONObject
        case missingField(template: String)

        var description: String {
            switch self {
            case .notJSONObject: "the payload is not a JSON object"
            case .missingField(let template): "the payload lacks a non-empty value for every placeholder of '\(template)'"
            }
        }
    }

    init(payload: String, templates: [TopicTemplate]) throws(Problem) {
        let values: [String: TemplateValue]
        do {
            values = try JSONDecoder().decode([String: TemplateValue].self, from: Data(payload.utf8))
        } catch {
            throw .notJSONObject
        }
        var topics: [Topic] = []
        for template in templates {
            guard let text = template.render({ values[$0]?.text }), let topic = try? Topic(validating: text) else {
                throw .missingField(template: template.description)
            }
            if !topics.contains(topic) { topics.append(topic) }
        }
        self.topics = topics
        // JSON strings cannot hold raw line breaks, so any are whitespace between tokens: SSE
        // needs `data` on one line.
        var oneLine = payload
        if oneLine.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            oneLine = String(oneLine.map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
        }
        self.data = ByteBuffer(string: oneLine)
    }
}

/// A top-level payload value as a template fills it in: strings as they are, numbers and
/// booleans as written in JSON; `null`, arrays and objects fill nothing.
private struct TemplateValue: Decodable {
    var text: String?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else if let bool = try? container.decode(Bool.self) {
            text = bool ? "true" : "false"
        } else if let integer = try? container.decode(Int64.self) {
            text = String(integer)
        } else if let number = try? container.decode(Double.self) {
            text = String(number)
        } else {
            text = nil
        }
    }
}
