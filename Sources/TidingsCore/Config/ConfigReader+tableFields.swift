/// The fields only a table entry has: its name, `events:` and `columns:`.
extension ConfigReader {
    /// Why a table name was refused and what to write instead.
    struct NameProblem: Error {
        let reason: String
        let fix: String
    }

    /// `schema.table` or `table` (schema `public`), each part an unquoted PostgreSQL identifier.
    static func tableName(_ text: String) -> Result<TableName, NameProblem> {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2 else {
            return .failure(NameProblem(reason: "expected schema.table or table", fix: "write table: public.orders"))
        }
        for part in parts where !isIdentifier(part, allowingDollar: true) {
            let lowered = text.lowercased()
            if lowered != text, case .success = tableName(lowered) {
                return .failure(
                    NameProblem(
                        reason: "PostgreSQL stores unquoted names in lowercase, and Tidings names tables as they are stored",
                        fix: "write table: \(lowered)"
                    )
                )
            }
            return .failure(
                NameProblem(
                    reason:
                        "'\(part)' must start with a lowercase letter or '_' and hold only lowercase letters, digits, '_' and '$' (at most 63)",
                    fix: "write table: public.orders, or table: orders for the public schema"
                )
            )
        }
        return .success(parts.count == 2 ? TableName(schema: parts[0], name: parts[1]) : TableName(schema: "public", name: parts[0]))
    }

    /// Whether `text` matches `^[a-z_][a-z0-9_$]{0,62}$` (without `$` when `allowingDollar` is false).
    static func isIdentifier(_ text: String, allowingDollar: Bool) -> Bool {
        let scalars = text.unicodeScalars
        guard let first = scalars.first, scalars.count <= 63, first == "_" || ("a"..."z").contains(first) else { return false }
        return scalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("0"..."9").contains($0) || (allowingDollar && $0 == "$") }
    }

    /// `events:`; all four operations when absent. Returned in insert, update, delete, truncate order.
    mutating func readEvents(_ fields: ConfigMapping) -> [ChangeOperation]? {
        let allowed = "insert, update, delete and truncate"
        guard let node = fields["events"] else { return ChangeOperation.allCases }
        guard let items = scalars(node, example: "insert") else { return nil }
        guard !items.isEmpty else {
            report(
                node,
                "is empty, so the table would publish nothing",
                fix: "list one or more of \(allowed), or remove events: to capture all four"
            )
            return nil
        }
        var operations: [ChangeOperation] = []
        for (text, item) in items {
            guard let operation = ChangeOperation(rawValue: text) else {
                report(item, "'\(text)' is not an operation", fix: "write one of \(allowed) (lowercase)")
                continue
            }
            guard !operations.contains(operation) else {
                report(item, "'\(text)' is listed twice", fix: "remove one of them")
                continue
            }
            operations.append(operation)
        }
        return operations.sorted()
    }

    /// `columns:`; `nil` (all columns) when absent.
    mutating func readColumns(_ fields: ConfigMapping) -> [String]? {
        guard let node = fields["columns"], let items = scalars(node, example: "id") else { return nil }
        guard !items.isEmpty else {
            report(
                node,
                "is empty, so events would carry no data",
                fix: "list the columns to carry, or remove columns: to carry all of them"
            )
            return nil
        }
        var columns: [String] = []
        for (text, item) in items {
            guard Self.isIdentifier(text, allowingDollar: true) else {
                let lowered = text.lowercased()
                report(
                    item,
                    "'\(text)' is not a column name: use lowercase letters, digits, '_' and '$', starting with a letter or '_', at most 63",
                    fix: Self.isIdentifier(lowered, allowingDollar: true)
                        ? "write \(lowered)" : "write the column as PostgreSQL stores it, e.g. customer_id"
                )
                continue
            }
            guard !columns.contains(text) else {
                report(item, "'\(text)' is listed twice", fix: "remove one of them")
                continue
            }
            columns.append(text)
        }
        return columns
    }
}
