/// The keys each mapping of the config file may hold (docs/configuration.md), and the hints for
/// the ones it may not.
enum ConfigKeys {
    static let root = [
        "listen", "tls", "postgres", "auth", "cors", "topics", "stream", "publish", "retention", "threads", "limits", "metrics",
        "capture",
    ]
    static let tls = ["certificate", "key"]
    static let postgres = ["url"]
    static let auth = ["jwt", "public", "max_streams_per_token"]
    static let jwt = ["algorithm", "secret", "public_key", "jwks", "issuer", "audience", "claim", "leeway", "jwks_url", "jwks_refresh"]
    static let cors = ["origins"]
    static let topic = ["table", "channel", "topics", "events", "columns", "old"]
    static let stream = ["heartbeat", "retry", "max_selectors", "buffer"]
    static let publish = ["max_body"]
    static let retention = ["max_age", "max_events", "interval"]
    static let limits = ["request_head", "tls_handshake", "idle", "max_connections", "max_anonymous_streams"]
    static let metrics = ["listen"]
    static let capture = ["mode", "slot", "publication", "lag_warning"]

    /// Every mapping, named as a user would look for it.
    static let sections: [(name: String, keys: [String])] = [
        ("the top level", root), ("tls", tls), ("postgres", postgres), ("auth", auth), ("auth.jwt", jwt),
        ("cors", cors), ("each topics entry", topic), ("stream", stream), ("publish", publish),
        ("retention", retention), ("limits", limits), ("metrics", metrics), ("capture", capture),
    ]

    /// The fix for an unknown `key` in a mapping that allows `known`: the closest known key when
    /// one is near, else the section the key belongs to, and always the list of known keys.
    static func hint(forUnknown key: String, known: [String]) -> String {
        let listed = "known keys here: \(known.joined(separator: ", "))"
        // `max-age` for `max_age` is a common slip from other tools' config files.
        let lowered = String(key.lowercased().map { $0 == "-" ? "_" : $0 })
        let ranked = known.map { (key: $0, distance: editDistance(lowered, $0)) }.min { $0.distance < $1.distance }
        if let best = ranked, best.distance <= max(1, min(3, key.count / 3)) {
            return "did you mean '\(best.key)'? (\(listed))"
        }
        if let home = sections.first(where: { $0.keys != known && $0.keys.contains(lowered) }) {
            return "'\(lowered)' belongs under \(home.name); move it there (\(listed))"
        }
        return "remove it or fix its spelling (\(listed))"
    }

    /// The Levenshtein distance between `a` and `b`, counted in characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
