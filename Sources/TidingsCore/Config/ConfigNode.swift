import Yams

/// A YAML node with the dotted path and file position the loader reports its errors at.
///
/// Yams keeps a ``Mark`` on every node; the path is built while walking down, so an error deep in
/// `topics[2].events[1]` can say both where it is and what it is.
struct ConfigNode {
    let node: Node
    /// The dotted path, e.g. `topics[0].table`; empty for the document root.
    let path: String
    let line: Int
    let column: Int
    /// Where the key that holds this node starts; the node's own position for list items and the
    /// root. Errors about something missing from a mapping point here.
    let keyLine: Int
    let keyColumn: Int

    init(root: Node) {
        self.node = root
        self.path = ""
        self.line = root.mark?.line ?? 1
        self.column = root.mark?.column ?? 1
        self.keyLine = line
        self.keyColumn = column
    }

    private init(node: Node, path: String, line: Int, column: Int, keyLine: Int, keyColumn: Int) {
        self.node = node
        self.path = path
        self.line = line
        self.column = column
        self.keyLine = keyLine
        self.keyColumn = keyColumn
    }

    /// The value of `key` in this mapping node.
    func child(_ key: String, keyNode: Node, value: Node) -> ConfigNode {
        let keyLine = keyNode.mark?.line ?? line
        let keyColumn = keyNode.mark?.column ?? column
        return ConfigNode(
            node: value,
            path: childPath(key),
            line: value.mark?.line ?? keyLine,
            column: value.mark?.column ?? keyColumn,
            keyLine: keyLine,
            keyColumn: keyColumn
        )
    }

    /// Item `index` of this list node.
    func element(_ index: Int, _ value: Node) -> ConfigNode {
        let line = value.mark?.line ?? self.line
        let column = value.mark?.column ?? self.column
        return ConfigNode(node: value, path: "\(path)[\(index)]", line: line, column: column, keyLine: line, keyColumn: column)
    }

    /// The path of `key` below this node.
    func childPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// The text of a scalar exactly as written (before `${VAR}` substitution).
    var rawScalar: String? {
        if case .scalar(let scalar) = node { scalar.string } else { nil }
    }

    /// Whether the node is written without quotes, where YAML 1.1 gives words like `off` a type.
    var isPlainScalar: Bool {
        if case .scalar(let scalar) = node { scalar.style == .plain || scalar.style == .any } else { false }
    }

    /// A YAML null: nothing at all, `~` or `null`, without quotes. Treated as if the key were absent.
    var isNull: Bool {
        isPlainScalar && ["", "~", "null", "Null", "NULL"].contains(rawScalar ?? "-")
    }

    /// What kind of node this is, for type errors ("expected a list, found a mapping").
    var kind: String {
        switch node {
        case .scalar: isNull ? "nothing" : "a single value"
        case .mapping: "a mapping (key: value lines)"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}

/// The known keys of one mapping node, each with its value.
struct ConfigMapping {
    /// The mapping itself.
    let node: ConfigNode
    let entries: [String: ConfigNode]

    /// The value of `key`; `nil` when the key is absent or its value is null.
    subscript(key: String) -> ConfigNode? {
        guard let value = entries[key], !value.isNull else { return nil }
        return value
    }

    /// Whether `key` is written at all, even with a null value.
    func contains(_ key: String) -> Bool {
        entries[key] != nil
    }
}
