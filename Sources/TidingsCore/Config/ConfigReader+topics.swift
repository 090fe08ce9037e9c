/// `topics:`: the captured tables and NOTIFY channels, and the topic templates each publishes to.
extension ConfigReader {
    mutating func readTopics(_ top: ConfigMapping) -> [TopicSource]? {
        let fix = "write topics: with at least one entry, e.g. - { table: public.orders, topics: [\"orders/{id}\"] }"
        guard let node = require("topics", in: top, fix: fix),
            let entries = list(node, example: "[{ table: public.orders, topics: [\"orders/{id}\"] }]")
        else { return nil }
        guard !entries.isEmpty else {
            report(node, "is empty, so nothing would ever be published", fix: fix)
            return nil
        }
        var sources: [TopicSource] = []
        var tableLines: [TableName: Int] = [:]
        var channelLines: [String: Int] = [:]
        for entry in entries {
            guard let (source, nameNode) = readTopicSource(entry) else { continue }
            switch source {
            case .table(let capture):
                if let first = tableLines[capture.table] {
                    report(
                        nameNode,
                        "table \(capture.table) is captured twice (lines \(first) and \(nameNode.line))",
                        fix: "merge the two entries into one and list every template under its topics:"
                    )
                    continue
                }
                tableLines[capture.table] = nameNode.line
            case .channel(let channel):
                if let first = channelLines[channel.channel] {
                    report(
                        nameNode,
                        "channel \(channel.channel) is listed twice (lines \(first) and \(nameNode.line))",
                        fix: "merge the two entries into one and list every template under its topics:"
                    )
                    continue
                }
                channelLines[channel.channel] = nameNode.line
            }
            sources.append(source)
        }
        return sources
    }

    /// One entry, with the node of its `table:` or `channel:` value for duplicate reports.
    private mutating func readTopicSource(_ entry: ConfigNode) -> (TopicSource, ConfigNode)? {
        let example = "{ table: public.orders, topics: [\"orders/{id}\"] }"
        guard let fields = mapping(entry, known: ConfigKeys.topic, example: example) else { return nil }
        switch (fields.entries["table"], fields.entries["channel"]) {
        case (.some, .some(let channel)):
            reportAtKey(
                channel,
                "an entry takes either table: or channel:, not both",
                fix: "split it into one table entry and one channel entry",
                code: .conflictingKeys
            )
            return nil
        case (.none, .none):
            reportAtKey(
                entry,
                key: entry.childPath("table"),
                "the entry names neither a table nor a channel",
                fix: "write table: schema.table (a captured table) or channel: name (a NOTIFY channel)",
                code: .missingKey
            )
            _ = readTemplates(fields, checksColumns: false)
            return nil
        case (.some(let tableNode), .none):
            return readTable(fields, nameNode: tableNode).map { (.table($0), tableNode) }
        case (.none, .some(let channelNode)):
            return readChannel(fields, nameNode: channelNode).map { (.channel($0), channelNode) }
        }
    }

    private mutating func readTable(_ fields: ConfigMapping, nameNode: ConfigNode) -> TableCapture? {
        let table = nonEmptyString(nameNode, example: "public.orders").flatMap { text in
            switch Self.tableName(text) {
            case .success(let name): return name
            case .failure(let problem):
                report(nameNode, "'\(text)' is not a table name: \(problem.reason)", fix: problem.fix)
                return nil
            }
        }
        let templates = readTemplates(fields, checksColumns: true)
        let events = readEvents(fields)
        let columns = readColumns(fields)
        var old = OldRowMode.key
        if let node = fields["old"], let text = scalar(node, example: "key") {
            if let mode = OldRowMode(rawValue: text) {
                old = mode
            } else {
                report(
                    node,
                    "'\(text)' is not an old-row mode",
                    fix: "write old: key (primary key columns, the default), old: full (every captured column) or old: none"
                )
            }
        }
        guard let table, let templates, let events else { return nil }
        return TableCapture(table: table, topics: templates, events: events, columns: columns, old: old, line: fields.node.line)
    }

    private mutating func readChannel(_ fields: ConfigMapping, nameNode: ConfigNode) -> ChannelSource? {
        for key in ["events", "columns", "old"] {
            guard let misplaced = fields.entries[key] else { continue }
            reportAtKey(
                misplaced,
                "\(key) is not allowed on a channel entry",
                fix: "remove it: a channel forwards each JSON payload as it is; events, columns and old apply to table entries",
                code: .conflictingKeys
            )
        }
        let name = nonEmptyString(nameNode, example: "alerts").flatMap { text -> String? in
            guard text != "tidings" else {
                report(
                    nameNode,
                    "the channel 'tidings' is reserved for the gateway's own wake-up",
                    fix: "pick another name, e.g. tidings_alerts"
                )
                return nil
            }
            guard Self.isIdentifier(text, allowingDollar: false) else {
                let lower = text.lowercased()
                let fix = Self.isIdentifier(lower, allowingDollar: false) ? "write channel: \(lower)" : "write a name such as alerts"
                report(
                    nameNode,
                    "'\(text)' is not a channel name: use lowercase letters, digits and '_', starting with a letter or '_', at most 63",
                    fix: fix
                )
                return nil
            }
            return text
        }
        let templates = readTemplates(fields, checksColumns: false)
        guard let name, let templates else { return nil }
        return ChannelSource(channel: name, topics: templates, line: fields.node.line)
    }

    /// The entry's `topics:` list. For a table, every placeholder must also be a column name as
    /// PostgreSQL stores unquoted names; a channel's placeholders name JSON keys of any case.
    private mutating func readTemplates(_ fields: ConfigMapping, checksColumns: Bool) -> [TopicTemplate]? {
        let fix = "write topics: [\"orders/{id}\"]: one or more templates whose {column} parts are filled from the row"
        guard let node = require("topics", in: fields, fix: fix), let items = scalars(node, example: "\"orders/{id}\"") else { return nil }
        guard !items.isEmpty else {
            report(node, "is empty, so the entry would publish nothing", fix: fix)
            return nil
        }
        var templates: [TopicTemplate] = []
        for (text, item) in items {
            do {
                let template = try TopicTemplate(parsing: text)
                if templates.contains(template) {
                    report(item, "'\(text)' is listed twice", fix: "remove one of them")
                    continue
                }
                if checksColumns, let column = template.columns.first(where: { !Self.isIdentifier($0, allowingDollar: true) }) {
                    report(
                        item,
                        "'{\(column)}' cannot name a column: PostgreSQL stores unquoted column names in lowercase",
                        fix: "write {\(column.lowercased())}"
                    )
                    continue
                }
                templates.append(template)
            } catch {
                report(
                    item,
                    "'\(text)' is not a topic template: \(error.reason)",
                    fix: "write /-separated segments with {column} placeholders, e.g. customers/{customer_id}/orders"
                )
            }
        }
        return templates
    }
}
