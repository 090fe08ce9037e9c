/// The top level of the file and its small sections: listen, tls, postgres, cors, stream,
/// publish, retention and threads.
extension ConfigReader {
    /// The whole configuration; `nil` when anything was reported.
    mutating func readConfig(_ root: ConfigNode) -> TidingsConfig? {
        guard let top = mapping(root, known: ConfigKeys.root, example: "postgres: { url: \"${DATABASE_URL}\" }") else { return nil }
        let listen = readListen(top)
        let tls = readTLS(top)
        let postgres = readPostgres(top)
        let auth = readAuth(top)
        let cors = readCORS(top)
        let topics = readTopics(top)
        let stream = readStream(top)
        let publish = readPublish(top)
        let retention = readRetention(top)
        let threads = readThreads(top)
        let limits = readLimits(top)
        let metrics = readMetrics(top)
        let capture = readCapture(top)
        guard errors.isEmpty, let tls, let postgres, let auth, let topics else { return nil }
        var config = TidingsConfig(
            listen: listen,
            tls: tls,
            postgres: postgres,
            auth: auth,
            cors: cors,
            topics: topics,
            stream: stream,
            publish: publish,
            retention: retention,
            threads: threads,
            capture: capture
        )
        config.limits = limits
        config.metrics = metrics
        return config
    }

    private mutating func readListen(_ top: ConfigMapping) -> ListenAddress {
        let fallback = ListenAddress(host: "0.0.0.0", port: 8443)
        guard let node = top["listen"], let text = scalar(node, example: "\"0.0.0.0:8443\"") else { return fallback }
        do {
            return try ListenAddress(parsing: text)
        } catch {
            report(node, "'\(text)' is not a listen address: \(error.reason)", fix: error.fix)
            return fallback
        }
    }

    /// `.some(nil)` for `tls: off`; `nil` when missing or wrong.
    private mutating func readTLS(_ top: ConfigMapping) -> TLSFiles?? {
        let fix = "write tls: with certificate: FILE and key: FILE (PEM), or tls: off when a proxy in front terminates TLS"
        guard let node = require("tls", in: top, fix: fix) else { return nil }
        if node.rawScalar != nil {
            guard let text = substitute(node.rawScalar ?? "", at: node) else { return nil }
            // YAML 1.1 reads a bare `off` (and `false`, `no`) as the boolean false.
            let word = text.lowercased()
            if word == "off" || (node.isPlainScalar && (word == "false" || word == "no")) { return .some(nil) }
            report(node, "'\(text)' is not a TLS setting", fix: fix)
            return nil
        }
        guard
            let tls = mapping(
                node,
                known: ConfigKeys.tls,
                example: "{ certificate: /etc/tidings/server.crt, key: /etc/tidings/server.key }"
            )
        else { return nil }
        let certificate = require("certificate", in: tls, fix: "write certificate: /etc/tidings/server.crt (a PEM chain)")
            .flatMap { nonEmptyString($0, example: "/etc/tidings/server.crt") }
        let key = require("key", in: tls, fix: "write key: /etc/tidings/server.key (a PEM private key)")
            .flatMap { nonEmptyString($0, example: "/etc/tidings/server.key") }
        guard let certificate, let key else { return nil }
        return .some(TLSFiles(certificate: certificate, key: key))
    }

    private mutating func readPostgres(_ top: ConfigMapping) -> PostgresSettings? {
        let fix = "write postgres: with url: \"${DATABASE_URL}\" (postgres://user:password@host:5432/database?sslmode=require)"
        guard let node = require("postgres", in: top, fix: fix),
            let postgres = mapping(node, known: ConfigKeys.postgres, example: "{ url: \"${DATABASE_URL}\" }"),
            let urlNode = require("url", in: postgres, fix: "write url: \"${DATABASE_URL}\""),
            let text = nonEmptyString(urlNode, example: "\"${DATABASE_URL}\"")
        else { return nil }
        do {
            return PostgresSettings(url: try PostgresURL(parsing: text))
        } catch {
            // The error text never contains the password; the URL itself is never echoed.
            report(
                urlNode,
                "not a usable PostgreSQL URL: \(error.description)",
                fix: "write url: postgres://user:password@host:5432/database?sslmode=require"
            )
            return nil
        }
    }

    private mutating func readCORS(_ top: ConfigMapping) -> CORSSettings {
        guard let node = top["cors"],
            let cors = mapping(node, known: ConfigKeys.cors, example: "{ origins: [\"https://app.example.com\"] }"),
            let origins = cors["origins"].flatMap({ scalars($0, example: "\"https://app.example.com\"") })
        else { return CORSSettings() }
        var accepted: [String] = []
        for (origin, item) in origins {
            if let problem = Self.originProblem(origin) {
                report(item, "'\(origin)' is not an origin: \(problem.reason)", fix: problem.fix)
            } else {
                accepted.append(origin)
            }
        }
        return CORSSettings(origins: accepted)
    }

    /// Why `text` is neither `*` nor `scheme://host[:port]`, if it is not.
    static func originProblem(_ text: String) -> (reason: String, fix: String)? {
        let example = "write scheme://host[:port] with no path, e.g. https://app.example.com, or * for any origin"
        guard text != "*" else { return nil }
        guard let separator = text.firstRange(of: "://") else { return ("the scheme is missing", example) }
        let scheme = text[..<separator.lowerBound]
        var authority = text[separator.upperBound...]
        guard let first = scheme.unicodeScalars.first, first.isASCII, first.properties.isLowercase,
            scheme.unicodeScalars.allSatisfy({
                $0.isASCII && ($0.properties.isLowercase || ("0"..."9").contains($0) || "+.-".unicodeScalars.contains($0))
            })
        else { return ("'\(scheme)' is not a lowercase URL scheme", example) }
        if authority.hasSuffix("/") && authority.dropLast().allSatisfy({ $0 != "/" }) {
            return ("a browser's Origin never ends with '/'", "write \(text.dropLast())")
        }
        guard !authority.contains(where: { "/?#".contains($0) }) else {
            return ("an origin has no path, query or fragment", example)
        }
        guard authority.lowercased() == authority else {
            return ("browsers send origins in lowercase and they are compared exactly", "write \(text.lowercased())")
        }
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            let port = authority[authority.index(after: colon)...]
            guard port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), (1...65535).contains(number) else {
                return ("the port must be a number from 1 to 65535", example)
            }
            authority = authority[..<colon]
        }
        guard !authority.isEmpty, !authority.contains(where: { $0 == " " || $0 == "@" }) else {
            return ("the host is missing or invalid", example)
        }
        return nil
    }

    private mutating func readStream(_ top: ConfigMapping) -> StreamSettings {
        let defaults = StreamSettings()
        guard let node = top["stream"], let stream = mapping(node, known: ConfigKeys.stream, example: "{ heartbeat: 15s, buffer: 1024 }")
        else {
            return defaults
        }
        return StreamSettings(
            heartbeat: duration("heartbeat", in: stream, default: defaults.heartbeat),
            retry: duration("retry", in: stream, default: defaults.retry),
            maxSelectors: integer("max_selectors", in: stream, default: defaults.maxSelectors, range: 1...1024),
            buffer: integer("buffer", in: stream, default: defaults.buffer, range: 1...1_000_000)
        )
    }

    private mutating func readPublish(_ top: ConfigMapping) -> PublishSettings {
        let defaults = PublishSettings()
        guard let node = top["publish"], let publish = mapping(node, known: ConfigKeys.publish, example: "{ max_body: 64KiB }") else {
            return defaults
        }
        return PublishSettings(maxBody: byteCount("max_body", in: publish, default: defaults.maxBody))
    }

    private mutating func readRetention(_ top: ConfigMapping) -> RetentionSettings {
        let defaults = RetentionSettings()
        guard let node = top["retention"],
            let retention = mapping(node, known: ConfigKeys.retention, example: "{ max_age: 7d, interval: 1m }")
        else { return defaults }
        return RetentionSettings(
            maxAge: duration("max_age", in: retention, default: defaults.maxAge),
            maxEvents: integer("max_events", in: retention, default: defaults.maxEvents, range: 0...Int.max),
            interval: duration("interval", in: retention, default: defaults.interval)
        )
    }

    /// `nil` for `auto` or no key: the server picks from the machine's cores.
    private mutating func readThreads(_ top: ConfigMapping) -> Int? {
        let fix = "write threads: auto (one fewer than the cores, at least 1) or a whole number from 1 to 1024"
        guard let node = top["threads"], let text = scalar(node, example: "auto") else { return nil }
        if text.lowercased() == "auto" { return nil }
        guard let count = Int(text), (1...1024).contains(count) else {
            report(node, "'\(text)' is not a thread count", fix: fix)
            return nil
        }
        return count
    }
}
