import Foundation
import Testing
import TidingsCore

/// One test per rule of `auth:`; each checks the line, the key and the fix.
@Suite struct ConfigLoaderAuthTests {
    private let short = ConfigFixture.shortForm

    private func replacing(_ old: String, with new: String) -> String {
        precondition(short.contains(old))
        return short.replacingOccurrences(of: old, with: new)
    }

    @Test("auth.jwt.secret is required for HS algorithms, at the jwt key")
    func missingSecret() {
        let yaml = replacing("    secret: \"${TIDINGS_JWT_SECRET}\"", with: "    algorithm: HS384")
        ConfigFixture.expectError(
            yaml,
            line: 5,
            key: "auth.jwt.secret",
            code: .missingKey,
            message: "is missing",
            fix: "secret: \"${TIDINGS_JWT_SECRET}\""
        )
    }

    @Test("an unknown algorithm lists the allowed ones")
    func unknownAlgorithm() {
        let yaml = replacing("    secret:", with: "    algorithm: RS512\n    secret:")
        ConfigFixture.expectError(
            yaml,
            line: 6,
            key: "auth.jwt.algorithm",
            code: .invalidValue,
            message: "unknown algorithm 'RS512'",
            fix: "HS256, HS384, HS512, RS256, ES256, EdDSA"
        )
    }

    @Test("algorithm none is refused")
    func algorithmNone() {
        let yaml = replacing("    secret:", with: "    algorithm: none\n    secret:")
        ConfigFixture.expectError(yaml, line: 6, key: "auth.jwt.algorithm", code: .invalidValue, message: "unsigned tokens", fix: "HS256")
    }

    @Test("an algorithm in the wrong case gets its right spelling")
    func algorithmCase() {
        let yaml = replacing("    secret:", with: "    algorithm: eddsa\n    secret:")
        ConfigFixture.expectError(
            yaml,
            line: 6,
            key: "auth.jwt.algorithm",
            code: .invalidValue,
            message: "case-sensitive",
            fix: "algorithm: EdDSA"
        )
    }

    @Test("an HS algorithm refuses public_key and jwks")
    func hmacRefusesPublicKey() {
        let yaml = replacing("    secret: \"${TIDINGS_JWT_SECRET}\"", with: "    secret: \"${TIDINGS_JWT_SECRET}\"\n    public_key: /k.pem")
        ConfigFixture.expectError(
            yaml,
            line: 7,
            key: "auth.jwt.public_key",
            code: .conflictingKeys,
            message: "public_key is for RS256, ES256 and EdDSA",
            fix: "algorithm: RS256"
        )
        let jwks = replacing("    secret: \"${TIDINGS_JWT_SECRET}\"", with: "    jwks: /k.json\n    secret: \"${TIDINGS_JWT_SECRET}\"")
        ConfigFixture.expectError(
            jwks,
            line: 6,
            key: "auth.jwt.jwks",
            code: .conflictingKeys,
            message: "jwks is for RS256",
            fix: "remove jwks"
        )
    }

    @Test("a public-key algorithm refuses a secret")
    func publicKeyRefusesSecret() {
        let yaml = replacing("    secret:", with: "    algorithm: RS256\n    public_key: /k.pem\n    secret:")
        ConfigFixture.expectError(
            yaml,
            line: 8,
            key: "auth.jwt.secret",
            code: .conflictingKeys,
            message: "secret is for HS256, HS384 and HS512",
            fix: "public_key: FILE"
        )
    }

    @Test("a public-key algorithm needs exactly one of public_key and jwks")
    func publicKeyNeedsOneKey() {
        let neither = replacing("    secret: \"${TIDINGS_JWT_SECRET}\"", with: "    algorithm: ES256")
        ConfigFixture.expectError(
            neither,
            line: 5,
            key: "auth.jwt.public_key",
            code: .missingKey,
            message: "ES256 needs a public key",
            fix: "jwks:"
        )
        let both = replacing(
            "    secret: \"${TIDINGS_JWT_SECRET}\"",
            with: "    algorithm: EdDSA\n    public_key: /k.pem\n    jwks: /k.json"
        )
        ConfigFixture.expectError(both, line: 8, key: "auth.jwt.jwks", code: .conflictingKeys, message: "both set", fix: "keep one")
    }

    @Test("each auth.public selector is parsed")
    func badPublicSelector() {
        let yaml = replacing("  jwt:", with: "  public: [\"news/**\", \"orders/**/x\"]\n  jwt:")
        ConfigFixture.expectError(
            yaml,
            line: 5,
            key: "auth.public[1]",
            code: .invalidValue,
            message: "'**' may only be the last segment",
            fix: "announcements/**"
        )
    }
}

@Suite("HMAC secret length")
struct HMACSecretLengthTests {
    @Test("a secret shorter than the hash output is refused with its line and a fix")
    func shortSecretRefused() {
        var environment = ConfigFixture.environment
        environment["TIDINGS_JWT_SECRET"] = "short"
        #expect(throws: ConfigErrors.self) {
            try ConfigLoader.parse(yaml: ConfigFixture.shortForm, file: "t.yaml", environment: environment)
        }
        do {
            _ = try ConfigLoader.parse(yaml: ConfigFixture.shortForm, file: "t.yaml", environment: environment)
        } catch {
            #expect(error.errors.count == 1)
            #expect(error.errors.first?.message.contains("at least 32") == true)
            #expect(error.errors.first?.fix.contains("openssl rand") == true)
        }
    }
}
