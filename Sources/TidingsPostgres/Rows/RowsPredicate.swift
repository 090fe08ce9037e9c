package import TidingsCore

/// The SQL condition that keeps exactly the rows a `/rows` request may see and asks for: one of
/// the topics the table's templates give is granted and one is requested (SPEC §3), evaluated on
/// the row itself instead of on events.
///
/// A template gives a row's topic only when every column it names renders non-empty (as the
/// capture trigger does); a topic has as many segments as its template, because values are
/// percent-encoded for `/`. So a selector is matched against a template segment by segment at
/// build time: a literal template segment is compared here, by bytes; `*` and `**` add nothing
/// but the columns' presence; a selector literal against a segment that is exactly `{column}`
/// becomes an equality on that column (the literal percent-decoded), written so that an index on
/// the column serves it; against a segment that mixes text and columns, the segment is rendered
/// in SQL and compared. Text comparisons use `COLLATE "C"`: bytes, as the log's topics compare.
package struct RowsPredicate: Sendable {
    /// A column's name and what the catalog says of its type.
    package struct Column: Sendable, Equatable {
        package var name: String
        package var type: ColumnType
        package init(name: String, type: ColumnType) {
            self.name = name
            self.type = type
        }
    }

    /// The types whose equality an index can serve without changing what matches.
    package enum ColumnType: Sendable, Equatable {
        /// `smallint`, `integer`, `bigint`: text form is the canonical decimal.
        case integer(bits: Int)
        /// `text`, `varchar`: compared as themselves (for the index), then by bytes.
        case text
        /// Anything else: compared by its text form only.
        case other
    }

    /// The condition, with `$n` placeholders numbered from the parameters already in `parameters`.
    package static func condition(
        templates: [TopicTemplate],
        granted: [Selector],
        requested: [Selector],
        requestIsCovered: Bool,
        columns: [String: ColumnType],
        parameters: inout RowsParameters
    ) -> String {
        let wanted = anyMatch(requested, templates, columns, &parameters)
        if requestIsCovered { return wanted }
        let visible = anyMatch(granted, templates, columns, &parameters)
        return "(\(visible)) AND (\(wanted))"
    }

    private static func anyMatch(
        _ selectors: [Selector],
        _ templates: [TopicTemplate],
        _ columns: [String: ColumnType],
        _ parameters: inout RowsParameters
    ) -> String {
        var alternatives: [String] = []
        for selector in selectors {
            for template in templates {
                if let match = match(selector, template, columns, &parameters), !alternatives.contains(match) {
                    alternatives.append(match)
                }
            }
        }
        guard !alternatives.isEmpty else { return "FALSE" }
        return alternatives.map { "(\($0))" }.joined(separator: " OR ")
    }

    /// The condition under which `template`'s topic for a row matches `selector`; nil when no
    /// row's topic can.
    private static func match(
        _ selector: Selector,
        _ template: TopicTemplate,
        _ columns: [String: ColumnType],
        _ parameters: inout RowsParameters
    ) -> String? {
        let segments = TemplateSegment.split(template)
        let pattern = selector.segments
        let open = pattern.last == .rest
        let fixed = open ? pattern.count - 1 : pattern.count
        guard open ? segments.count >= fixed : segments.count == fixed else { return nil }
        var terms: [String] = []
        var constrained: Set<String> = []
        for index in 0..<fixed {
            guard case .literal(let literal) = pattern[index] else { continue }
            switch segments[index] {
            case .literal(let text):
                guard Array(text.utf8) == Array(literal.description.utf8) else { return nil }
            case .column(let name):
                guard let value = TopicTemplate.decodeSegmentValue(literal.description) else { return nil }
                guard let term = equality(name, value, columns[name] ?? .other, &parameters) else { return nil }
                terms.append(term)
                constrained.insert(name)
            case .mixed(let parts):
                let placeholder = parameters.add(literal.description)
                terms.append("(\(render(parts))) COLLATE \"C\" = \(placeholder)")
                for case .column(let name) in parts { constrained.insert(name) }
            }
        }
        for name in template.columns where !constrained.contains(name) {
            terms.insert("\(present(name))", at: 0)
        }
        return terms.isEmpty ? "TRUE" : terms.joined(separator: " AND ")
    }

    /// `column`'s rendered value equals `value` (already percent-decoded); nil when it never can.
    private static func equality(_ name: String, _ value: String, _ type: ColumnType, _ parameters: inout RowsParameters) -> String? {
        let column = SQLText.identifier(name)
        switch type {
        case .integer(let bits):
            // Only the canonical decimal is an integer's text form: `007` or `+7` match no row.
            guard let number = Int64(value), String(number) == value else { return nil }
            guard bits >= 64 || (number >= -(1 << (bits - 1)) && number < (1 << (bits - 1))) else { return nil }
            return "\(column) = \(parameters.add(number))"
        case .text:
            let placeholder = parameters.add(value)
            return "\(column) = \(placeholder) AND \(column)::text COLLATE \"C\" = \(placeholder)"
        case .other:
            return "\(column)::text COLLATE \"C\" = \(parameters.add(value))"
        }
    }

    /// The column renders a non-empty value, so the template gives a topic.
    private static func present(_ name: String) -> String {
        let column = SQLText.identifier(name)
        return "\(column) IS NOT NULL AND \(column)::text <> ''"
    }

    /// A segment's text as the capture trigger renders it; NULL when a column is NULL or empty.
    private static func render(_ parts: [TopicTemplate.Part]) -> String {
        parts.map { part in
            switch part {
            case .literal(let text):
                return SQLText.literal(text)
            case .column(let name):
                let value = "\(SQLText.identifier(name))::text"
                return "NULLIF(replace(replace(\(value), '%', '%25'), '/', '%2F'), '')"
            }
        }.joined(separator: " || ")
    }
}
