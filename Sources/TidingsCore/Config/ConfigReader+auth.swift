/// `auth:`: how tokens are verified, which topics are public, and the per-token stream cap.
extension ConfigReader {
    mutating func readAuth(_ top: ConfigMapping) -> AuthSettings? {
        let example = "{ jwt: { secret: \"${TIDINGS_JWT_SECRET}\" } }"
        guard let node = require("auth", in: top, fix: "write auth: with jwt: { secret: \"${TIDINGS_JWT_SECRET}\" }"),
            let auth = mapping(node, known: ConfigKeys.auth, example: example)
        else { return nil }
        let jwt = require("jwt", in: auth, fix: "write jwt: { secret: \"${TIDINGS_JWT_SECRET}\" } under auth").flatMap { readJWT($0) }
        var selectors: [Selector] = []
        if let publicNode = auth["public"], let items = scalars(publicNode, example: "\"announcements/**\"") {
            for (text, item) in items {
                do {
                    selectors.append(try Selector(parsing: text))
                } catch {
                    report(
                        item,
                        "'\(text)' is not a selector: \(error.reason)",
                        fix:
                            "write a /-separated topic whose segments may be * (one segment) or a final ** (any rest), e.g. announcements/**"
                    )
                }
            }
        }
        let maxStreams = integer("max_streams_per_token", in: auth, default: 0, range: 0...Int.max)
        guard let jwt else { return nil }
        return AuthSettings(jwt: jwt, public: selectors, maxStreamsPerToken: maxStreams)
    }

    private mutating func readJWT(_ node: ConfigNode) -> JWTSettings? {
        guard let jwt = mapping(node, known: ConfigKeys.jwt, example: "{ algorithm: HS256, secret: \"${TIDINGS_JWT_SECRET}\" }") else {
            return nil
        }
        let algorithm = readAlgorithm(jwt)
        let key = algorithm.flatMap { readKey(jwt, algorithm: $0) }
        let issuer = optionalString("issuer", in: jwt, example: "\"https://auth.example.com\"")
        let audience = optionalString("audience", in: jwt, example: "tidings")
        let claim = jwt["claim"].flatMap { nonEmptyString($0, example: "tidings") } ?? "tidings"
        // Zero leeway is a legitimate choice (clocks in sync), unlike a zero heartbeat.
        let leeway = duration("leeway", in: jwt, default: .seconds(5), allowZero: true)
        let refresh = duration("jwks_refresh", in: jwt, default: .seconds(600))
        guard let algorithm, let key else { return nil }
        var settings = JWTSettings(algorithm: algorithm, key: key, issuer: issuer, audience: audience, claim: claim, leeway: leeway)
        settings.jwksRefresh = refresh
        return settings
    }

    private mutating func readAlgorithm(_ jwt: ConfigMapping) -> JWTAlgorithmName? {
        guard let node = jwt["algorithm"] else { return .hs256 }
        guard let text = scalar(node, example: "HS256") else { return nil }
        if let algorithm = JWTAlgorithmName(rawValue: text) { return algorithm }
        let allowed = JWTAlgorithmName.allCases.map(\.rawValue).joined(separator: ", ")
        if let respelled = JWTAlgorithmName.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) {
            report(node, "unknown algorithm '\(text)' (names are case-sensitive)", fix: "write algorithm: \(respelled.rawValue)")
        } else if text.lowercased() == "none" {
            report(node, "'none' would accept unsigned tokens and is never allowed", fix: "write one of \(allowed)")
        } else {
            report(node, "unknown algorithm '\(text)'", fix: "write one of \(allowed)")
        }
        return nil
    }

    /// The key source the algorithm calls for; the other kinds of key are reported as misplaced.
    private mutating func readKey(_ jwt: ConfigMapping, algorithm: JWTAlgorithmName) -> JWTKeySource? {
        let name = algorithm.rawValue
        if algorithm.isHMAC {
            for other in ["public_key", "jwks", "jwks_url"] {
                guard let misplaced = jwt.entries[other] else { continue }
                reportAtKey(
                    misplaced,
                    "\(other) is for RS256, ES256 and EdDSA; \(name) verifies with a shared secret",
                    fix: "remove \(other) and write secret:, or set algorithm: RS256, ES256 or EdDSA (HS256 is the default)",
                    code: .conflictingKeys
                )
            }
            let fix = "write secret: \"${TIDINGS_JWT_SECRET}\" (\(name) verifies with a shared secret)"
            guard let node = require("secret", in: jwt, fix: fix), let secret = nonEmptyString(node, example: "\"${TIDINGS_JWT_SECRET}\"")
            else {
                return nil
            }
            // An HMAC key shorter than its hash output is weak, and jwt-kit refuses it.
            let minimum = algorithm == .hs256 ? 32 : algorithm == .hs384 ? 48 : 64
            guard secret.utf8.count >= minimum else {
                report(
                    node,
                    "the \(name) secret is \(secret.utf8.count) bytes; it must be at least \(minimum)",
                    fix: "use a random secret of \(minimum) bytes or more, e.g. the output of `openssl rand -hex \(minimum)`"
                )
                return nil
            }
            return .secret(secret)
        }
        if let misplaced = jwt.entries["secret"] {
            reportAtKey(
                misplaced,
                "secret is for HS256, HS384 and HS512; \(name) verifies with a public key",
                fix: "remove secret and write public_key: FILE (PEM) or jwks: FILE",
                code: .conflictingKeys
            )
        }
        let given = ["public_key", "jwks", "jwks_url"].compactMap { key in jwt.entries[key].map { (key: key, node: $0) } }
        guard let source = given.first else {
            reportAtKey(
                jwt.node,
                key: jwt.node.childPath("public_key"),
                "\(name) needs a public key, and none of public_key, jwks or jwks_url is set",
                fix: "write public_key: /etc/tidings/jwt-public.pem, jwks: /etc/tidings/jwks.json or jwks_url: https://…/jwks.json",
                code: .missingKey
            )
            return nil
        }
        if let second = given.dropFirst().first {
            reportAtKey(
                second.node,
                "\(source.key) and \(second.key) are both set",
                fix: "keep one: public_key: FILE for a single PEM key, jwks: FILE or jwks_url: URL for a key set chosen by kid",
                code: .conflictingKeys
            )
            return nil
        }
        switch source.key {
        case "public_key":
            return nonEmptyString(source.node, example: "/etc/tidings/jwt-public.pem").map { .publicKeyFile($0) }
        case "jwks":
            return nonEmptyString(source.node, example: "/etc/tidings/jwks.json").map { .jwksFile($0) }
        default:
            guard let url = nonEmptyString(source.node, example: "https://auth.example.com/.well-known/jwks.json") else { return nil }
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                report(
                    source.node,
                    "'\(url)' is not an http(s) URL",
                    fix: "write jwks_url: https://auth.example.com/.well-known/jwks.json (the identity provider's key set)"
                )
                return nil
            }
            return .jwksURL(url)
        }
    }
}
