import Foundation
import Yams

/// The repository's `openapi.yaml`, read to check a running gateway's answers against it.
package struct OpenAPIDocument {
    private let root: [String: Any]

    package init() throws {
        guard let root = try Yams.load(yaml: try PackageRoot.text("openapi.yaml")) as? [String: Any] else {
            throw TestFailure("openapi.yaml is not a mapping")
        }
        self.root = root
    }

    /// The media types (without parameters) the document gives for `method path → status`;
    /// `nil` when it does not list that status at all, empty when the answer has no body.
    package func mediaTypes(_ method: String, _ path: String, status: Int) -> Set<String>? {
        let paths = root["paths"] as? [String: Any]
        let operation = (paths?[path] as? [String: Any])?[method.lowercased()] as? [String: Any]
        guard let responses = operation?["responses"] as? [String: Any],
            let response = resolve(responses[String(status)] ?? responses["\(status)"])
        else { return nil }
        let content = response["content"] as? [String: Any] ?? [:]
        return Set(content.keys.map(Self.baseType))
    }

    /// Every `(method, path)` the document describes.
    package var operations: Set<String> {
        let paths = root["paths"] as? [String: Any] ?? [:]
        var result: Set<String> = []
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where ["get", "post", "options"].contains(method) {
                result.insert("\(method.uppercased()) \(path)")
            }
        }
        return result
    }

    private func resolve(_ value: Any?) -> [String: Any]? {
        guard let object = value as? [String: Any] else { return nil }
        guard let reference = object["$ref"] as? String else { return object }
        var node: Any? = root
        for part in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
        return resolve(node)
    }

    /// `text/plain; version=0.0.4` → `text/plain`.
    package static func baseType(_ contentType: String) -> String {
        contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }
}
