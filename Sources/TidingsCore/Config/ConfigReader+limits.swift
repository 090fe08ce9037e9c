/// `limits:` and `metrics:`: connection limits and where `/metrics` is served.
extension ConfigReader {
    mutating func readLimits(_ top: ConfigMapping) -> LimitsSettings {
        let defaults = LimitsSettings()
        guard let node = top["limits"],
            let limits = mapping(node, known: ConfigKeys.limits, example: "{ request_head: 10s, idle: 60s, max_connections: 10000 }")
        else { return defaults }
        return LimitsSettings(
            requestHead: duration("request_head", in: limits, default: defaults.requestHead),
            tlsHandshake: duration("tls_handshake", in: limits, default: defaults.tlsHandshake),
            idle: duration("idle", in: limits, default: defaults.idle),
            maxConnections: integer("max_connections", in: limits, default: defaults.maxConnections, range: 1...10_000_000),
            maxAnonymousStreams: integer("max_anonymous_streams", in: limits, default: defaults.maxAnonymousStreams, range: 0...Int.max)
        )
    }

    mutating func readMetrics(_ top: ConfigMapping) -> MetricsSettings {
        guard let node = top["metrics"],
            let metrics = mapping(node, known: ConfigKeys.metrics, example: "{ listen: \"127.0.0.1:9464\" }"),
            let listenNode = metrics["listen"],
            let text = scalar(listenNode, example: "\"127.0.0.1:9464\"")
        else { return MetricsSettings() }
        do {
            return MetricsSettings(listen: try ListenAddress(parsing: text))
        } catch {
            report(listenNode, "'\(text)' is not a listen address: \(error.reason)", fix: error.fix)
            return MetricsSettings()
        }
    }
}
