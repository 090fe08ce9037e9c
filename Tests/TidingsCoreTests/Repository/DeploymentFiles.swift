import Foundation
import Testing
import TidingsTestSupport
import Yams

/// The repository's deployment files (`docker-compose.yml`, `Dockerfile`, `deploy/`), read the
/// way Docker reads them, for ``DeploymentFilesTests``.
enum DeploymentFiles {
    /// The repository root.
    static let root = PackageRoot.url

    static func url(_ relative: String) -> URL {
        root.appendingPathComponent(relative).standardizedFileURL
    }

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: url(relative), encoding: .utf8)
    }

    /// The services of `docker-compose.yml`, by name.
    static func services() throws -> [String: ComposeService] {
        let document = mapping(try Yams.load(yaml: try text("docker-compose.yml")))
        let services = mapping(document["services"])
        #expect(!services.isEmpty, "docker-compose.yml has no services")
        return Dictionary(uniqueKeysWithValues: services.map { ($0.key, ComposeService(name: $0.key, mapping($0.value))) })
    }

    /// The `${NAME}` variables a file refers to.
    static func variables(in text: String) -> Set<String> {
        Set(text.components(separatedBy: "${").dropFirst().compactMap { $0.split(separator: "}", maxSplits: 1).first.map(String.init) })
    }

    /// The arguments of every `INSTRUCTION` line of the Dockerfile.
    static func dockerfile(_ instruction: String) throws -> [String] {
        try text("Dockerfile").split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ", maxSplits: 1)
            guard words.count == 2, words[0].uppercased() == instruction else { return nil }
            return String(words[1]).trimmingCharacters(in: .whitespaces)
        }
    }

    /// Whether `path` exists, and is a directory.
    static func exists(_ path: URL) -> (exists: Bool, isDirectory: Bool) {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory)
        return (exists, isDirectory.boolValue)
    }

    /// A YAML mapping as `[String: Any]`; Yams builds `[AnyHashable: Any]`.
    static func mapping(_ value: Any?) -> [String: Any] {
        if let mapping = value as? [String: Any] { return mapping }
        guard let mapping = value as? [AnyHashable: Any] else { return [:] }
        return Dictionary(uniqueKeysWithValues: mapping.compactMap { key, value in (key.base as? String).map { ($0, value) } })
    }

    static func strings(_ value: Any?) -> [String] {
        ((value as? [Any]) ?? []).map { "\($0)" }
    }
}

/// One service of a compose file: what the tests compare with the config and the Dockerfile.
struct ComposeService {
    /// A short-syntax volume, `SOURCE:TARGET[:MODE]`.
    struct Mount {
        var source: String
        var target: String
        /// A host path (`./x`, `../x`, `/x`), not a named volume.
        var isBind: Bool { source.hasPrefix(".") || source.hasPrefix("/") }
        /// The host path, resolved against the compose file's directory (the repository root).
        var hostURL: URL { DeploymentFiles.url(source) }
    }

    let name: String
    let mounts: [Mount]
    let environment: Set<String>
    let command: [String]
    /// The container side of every `ports:` entry.
    let containerPorts: [Int]

    init(name: String, _ service: [String: Any]) {
        self.name = name
        mounts = DeploymentFiles.strings(service["volumes"]).compactMap { text in
            let parts = text.split(separator: ":").map(String.init)
            return parts.count >= 2 ? Mount(source: parts[0], target: parts[1]) : nil
        }
        if let list = service["environment"] as? [Any] {
            environment = Set(list.map { "\($0)".split(separator: "=", maxSplits: 1).first.map(String.init) ?? "" })
        } else {
            environment = Set(DeploymentFiles.mapping(service["environment"]).keys)
        }
        command = (service["command"] as? String)?.split(separator: " ").map(String.init) ?? DeploymentFiles.strings(service["command"])
        containerPorts = ((service["ports"] as? [Any]) ?? []).compactMap { entry in
            if let port = DeploymentFiles.mapping(entry)["target"] { return Int("\(port)") }
            let last = "\(entry)".split(separator: ":").last.map { $0.split(separator: "/").first ?? $0 }
            return last.flatMap { Int($0) }
        }
    }

    /// The value after `--config` in the command.
    var configPath: String? {
        command.firstIndex(of: "--config").flatMap { $0 + 1 < command.count ? command[$0 + 1] : nil }
    }

    /// The mount whose container path is `path`, or a directory above it.
    func mount(holding path: String) -> Mount? {
        mounts.first { path == $0.target || path.hasPrefix($0.target.hasSuffix("/") ? $0.target : $0.target + "/") }
    }
}
