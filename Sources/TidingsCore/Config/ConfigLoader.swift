import Foundation
import Yams

/// Reads a Tidings config file (docs/configuration.md) into a ``TidingsConfig``, or explains everything wrong
/// with it.
///
/// The YAML is composed into nodes and walked by hand rather than decoded with `Codable`, so that
/// every error keeps its line and column. All errors are collected before throwing, so
/// `tidings check` shows the whole list at once. `${VAR}` in any value is replaced from
/// `environment`; an unset variable is an error, never an empty string.
package enum ConfigLoader {
    /// Reads and validates the file at `path`.
    /// - Throws: ``ConfigErrors`` when the file cannot be read, is not YAML, or breaks a rule;
    ///   each error names the file, line, key and fix.
    package static func load(
        path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> TidingsConfig {
        try parse(yaml: try read(path: path), file: path, environment: environment)
    }

    /// Validates `yaml` as if read from `file`, which only names the source in errors.
    /// - Throws: ``ConfigErrors``, sorted by line.
    package static func parse(yaml: String, file: String, environment: [String: String]) throws(ConfigErrors) -> TidingsConfig {
        func failure(_ code: ConfigError.Code, line: Int, column: Int, _ message: String, fix: String) -> ConfigErrors {
            ConfigErrors([ConfigError(code, file: file, line: line, column: column, key: "", message: message, fix: fix)])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigErrors([syntaxError(error, yaml: yaml, file: file)])
        }
        guard let root, !ConfigNode(root: root).isNull else {
            throw failure(
                .emptyFile,
                line: 1,
                column: 1,
                "the file is empty",
                fix: "start from tidings.example.yaml; the short form needs tls, postgres.url, auth.jwt.secret and one topics entry"
            )
        }
        var reader = ConfigReader(file: file, environment: environment)
        let config = reader.readConfig(ConfigNode(root: root))
        if let config, reader.errors.isEmpty { return config }
        guard !reader.errors.isEmpty else {
            throw failure(
                .internalError,
                line: 1,
                column: 1,
                "the file could not be read into a configuration",
                fix: "report this as a Tidings bug"
            )
        }
        throw ConfigErrors(reader.errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
    }

    private static func read(path: String) throws(ConfigErrors) -> String {
        func failure(_ message: String, fix: String) -> ConfigErrors {
            ConfigErrors([ConfigError(.fileUnreadable, file: path, line: 0, column: 0, key: "", message: message, fix: fix)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw failure("no such file", fix: "check the path given to --config, or copy tidings.example.yaml there")
        }
        guard !isDirectory.boolValue else {
            throw failure("is a directory, not a file", fix: "give --config the path of the YAML file itself")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw failure("cannot be read", fix: "make the file readable by the user that runs tidings")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw failure("is not UTF-8 text", fix: "save the file as UTF-8")
        }
        return text
    }

    /// The next line after `mark` that starts `key:` at the same column, as a repeated key in
    /// block style does.
    private static func repeatedKeyLine(_ key: String, after mark: Mark, in yaml: String) -> Int? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line < lines.count else { return nil }
        for index in mark.line..<lines.count {
            let line = lines[index]
            let indent = line.prefix { $0 == " " }
            guard indent.count == mark.column - 1 else { continue }
            let rest = line.dropFirst(indent.count)
            if rest.hasPrefix("\(key):") || rest.hasPrefix("\"\(key)\":") || rest.hasPrefix("'\(key)':") { return index + 1 }
        }
        return nil
    }

    /// A Yams error as one ``ConfigError`` at the line libyaml stopped at.
    private static func syntaxError(_ error: any Error, yaml: String, file: String) -> ConfigError {
        let fix =
            "check the indentation (spaces, not tabs) and quote values that contain ': ', ' #', or start with '{', '[', '*', '&' or '!'"
        func located(_ mark: Mark, _ message: String, fix: String = fix) -> ConfigError {
            ConfigError(.invalidYAML, file: file, line: mark.line, column: mark.column, key: "", message: message, fix: fix)
        }
        guard let yamlError = error as? YamlError else {
            return ConfigError(.invalidYAML, file: file, line: 1, column: 1, key: "", message: "not valid YAML", fix: fix)
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return located(mark, "YAML syntax error: \(problem)\(during)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            // Yams marks the first occurrence; the second is usually the one to remove.
            guard let key = duplicates.first, let second = repeatedKeyLine(key, after: context.mark, in: yaml) else {
                return located(context.mark, "the key \(keys) appears twice in one mapping", fix: "keep only one of them")
            }
            return ConfigError(
                .invalidYAML,
                file: file,
                line: second,
                column: context.mark.column,
                key: "",
                message: "the key \(keys) appears twice in one mapping (lines \(context.mark.line) and \(second))",
                fix: "keep only one of them"
            )
        case .reader(let problem, let offset, _, _):
            let prefix = offset.map { yaml.prefix($0) } ?? ""
            let line = prefix.count { $0 == "\n" } + 1
            let column = prefix.count - (prefix.lastIndex(of: "\n").map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0) + 1
            return ConfigError(
                .fileUnreadable,
                file: file,
                line: line,
                column: column,
                key: "",
                message: "unreadable text: \(problem)",
                fix: "save the file as UTF-8"
            )
        default:
            return ConfigError(.invalidYAML, file: file, line: 1, column: 1, key: "", message: "not valid YAML: \(yamlError)", fix: fix)
        }
    }
}
