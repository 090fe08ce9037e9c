extension TidingsConfig {
    /// The resolved topic map that `tidings check` prints: every table with its event names,
    /// templates, columns and old-row mode, every channel with its templates, then the public
    /// selectors and where the gateway listens. Plain text in file order, so two runs on the same
    /// config print the same lines; the Postgres password is never shown.
    package func topicMapDescription() -> String {
        var lines: [String] = []
        let tables = self.tables
        lines.append(tables.isEmpty ? "tables: none" : "tables:")
        for capture in tables {
            lines.append("  \(capture.table)\(Self.lineNote(capture.line))")
            let prefix = capture.table.eventPrefix
            lines.append("    events:  \(capture.events.map { "\(prefix).\($0.rawValue)" }.joined(separator: ", "))")
            lines.append("    topics:  \(capture.topics.map(\.description).joined(separator: ", "))")
            lines.append("    columns: \(capture.columns?.joined(separator: ", ") ?? "all")")
            lines.append("    old:     \(capture.old.rawValue)")
        }
        let channels = self.channels
        lines.append(channels.isEmpty ? "channels: none" : "channels:")
        for channel in channels {
            lines.append("  \(channel.channel)\(Self.lineNote(channel.line))")
            lines.append("    topics:  \(channel.topics.map(\.description).joined(separator: ", "))")
        }
        let publicSelectors = auth.public.map(\.description).joined(separator: ", ")
        lines.append("public: \(publicSelectors.isEmpty ? "none" : publicSelectors)")
        lines.append("listen: \(listen)")
        if let tls {
            lines.append("tls: certificate \(tls.certificate), key \(tls.key)")
        } else {
            lines.append("tls: off (plain HTTP; a proxy in front must terminate TLS)")
        }
        lines.append("postgres: \(postgres.url)")
        return lines.joined(separator: "\n")
    }

    private static func lineNote(_ line: Int) -> String {
        line > 0 ? " (line \(line))" : ""
    }
}
