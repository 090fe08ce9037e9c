import Yams

/// Walks a composed YAML document by hand, turning each node into a model value and collecting
/// every error on the way instead of stopping at the first.
///
/// Readers return a usable value (the default, or `nil` for what has none) even after reporting an
/// error, so one mistake does not hide the next; ``ConfigLoader`` throws when ``errors`` is not empty.
struct ConfigReader {
    let file: String
    let environment: [String: String]
    private(set) var errors: [ConfigError] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    // MARK: Reporting

    /// Reports a problem with the value of `node`, at the value.
    mutating func report(_ node: ConfigNode, _ message: String, fix: String, code: ConfigError.Code = .invalidValue) {
        report(line: node.line, column: node.column, key: node.path, message, fix: fix, code: code)
    }

    /// Reports a problem with the key that holds `node` (a missing or misplaced entry), at the key.
    mutating func reportAtKey(_ node: ConfigNode, key: String? = nil, _ message: String, fix: String, code: ConfigError.Code) {
        report(line: node.keyLine, column: node.keyColumn, key: key ?? node.path, message, fix: fix, code: code)
    }

    mutating func report(line: Int, column: Int, key: String, _ message: String, fix: String, code: ConfigError.Code) {
        errors.append(ConfigError(code, file: file, line: line, column: column, key: key, message: message, fix: fix))
    }

    // MARK: Shapes

    /// `node` as a mapping; every key not in `known` is reported with a did-you-mean hint.
    mutating func mapping(_ node: ConfigNode, known: [String], example: String) -> ConfigMapping? {
        guard case .mapping(let mapping) = node.node else {
            let name = node.path.isEmpty ? "the file" : node.path
            report(
                node,
                "expected a mapping (key: value lines), found \(node.kind)",
                fix: "write \(name) as a mapping, e.g. \(example)",
                code: .wrongShape
            )
            return nil
        }
        var entries: [String: ConfigNode] = [:]
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode else {
                let line = keyNode.mark?.line ?? node.line
                let column = keyNode.mark?.column ?? node.column
                report(
                    line: line,
                    column: column,
                    key: node.path,
                    "a key must be a plain word",
                    fix: "write keys as name: value",
                    code: .wrongShape
                )
                continue
            }
            let key = scalar.string
            let child = node.child(key, keyNode: keyNode, value: value)
            guard known.contains(key) else {
                reportAtKey(child, "unknown key '\(key)'", fix: ConfigKeys.hint(forUnknown: key, known: known), code: .unknownKey)
                continue
            }
            entries[key] = child
        }
        return ConfigMapping(node: node, entries: entries)
    }

    /// `node` as a list of nodes.
    mutating func list(_ node: ConfigNode, example: String) -> [ConfigNode]? {
        guard case .sequence(let sequence) = node.node else {
            report(
                node,
                "expected a list, found \(node.kind)",
                fix: "write a list, e.g. \(node.path.lastKey): \(example)",
                code: .wrongShape
            )
            return nil
        }
        return sequence.enumerated().map { node.element($0.offset, $0.element) }
    }

    /// The value of a required key: reports a missing key at the mapping's own key, and a key
    /// written with no value at that key.
    mutating func require(_ key: String, in mapping: ConfigMapping, fix: String) -> ConfigNode? {
        if let value = mapping[key] { return value }
        if let empty = mapping.entries[key] {
            report(empty, "has no value", fix: fix, code: .missingKey)
        } else {
            reportAtKey(mapping.node, key: mapping.node.childPath(key), "is missing", fix: fix, code: .missingKey)
        }
        return nil
    }

    /// The text of a scalar with every `${VAR}` replaced from the environment.
    mutating func scalar(_ node: ConfigNode, example: String) -> String? {
        guard let raw = node.rawScalar, !node.isNull else {
            report(node, "expected a single value, found \(node.kind)", fix: "write \(node.path.lastKey): \(example)", code: .wrongShape)
            return nil
        }
        return substitute(raw, at: node)
    }

    /// A list of scalars; reports each bad item and skips it.
    mutating func scalars(_ node: ConfigNode, example: String) -> [(text: String, node: ConfigNode)]? {
        guard let items = list(node, example: "[\(example)]") else { return nil }
        return items.compactMap { item in scalar(item, example: example).map { ($0, item) } }
    }

    // MARK: Environment

    /// `raw` with each `${NAME}` replaced by the environment variable `NAME`; `nil` after reporting
    /// an unset variable or a malformed reference.
    mutating func substitute(_ raw: String, at node: ConfigNode) -> String? {
        guard raw.contains("${") else { return raw }
        var result = ""
        var rest = raw[...]
        var failed = false
        while let open = rest.firstRange(of: "${") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                report(
                    node,
                    "'${' without a closing '}'",
                    fix: "write ${NAME} to take the environment variable NAME",
                    code: .environmentVariable
                )
                return nil
            }
            let name = String(rest[open.upperBound..<close])
            if !Self.isVariableName(name) {
                report(
                    node,
                    "'${\(name)}' is not an environment variable name",
                    fix: "write ${NAME} with letters, digits and '_'",
                    code: .environmentVariable
                )
                failed = true
            } else if let value = environment[name] {
                result += value
            } else {
                report(
                    node,
                    "environment variable \(name) is not set",
                    fix: "set \(name) in the gateway's environment (export \(name)=…) or write the value in the file",
                    code: .environmentVariable
                )
                failed = true
            }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return failed ? nil : result
    }

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}

extension String {
    /// The last component of a dotted path, `table` for `topics[0].table`, for examples in fixes.
    var lastKey: String {
        let last = split(separator: ".").last.map(String.init) ?? self
        return last.hasSuffix("]") ? String(last.prefix { $0 != "[" }) : last
    }
}
