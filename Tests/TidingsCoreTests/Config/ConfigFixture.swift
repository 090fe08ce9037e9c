import Testing
import TidingsCore

/// Config texts and helpers shared by the loader tests.
enum ConfigFixture {
    static let secret = "0123456789abcdef0123456789abcdef"
    static let environment = [
        "DATABASE_URL": "postgres://app:hunter2@db.internal:5432/app?sslmode=require",
        "TIDINGS_JWT_SECRET": secret,
    ]

    /// The short form of docs/configuration.md; extra text appended to it starts at line 10.
    static let shortForm = """
        tls: off
        postgres:
          url: "${DATABASE_URL}"
        auth:
          jwt:
            secret: "${TIDINGS_JWT_SECRET}"
        topics:
          - table: orders
            topics: ["orders/{id}"]

        """

    static func load(_ yaml: String, environment: [String: String] = environment) throws(ConfigErrors) -> TidingsConfig {
        try ConfigLoader.parse(yaml: yaml, file: "tidings.yaml", environment: environment)
    }

    /// The errors `yaml` produces; none when it loads.
    static func errors(_ yaml: String, environment: [String: String] = environment) -> [ConfigError] {
        do {
            _ = try load(yaml, environment: environment)
            return []
        } catch {
            return error.errors
        }
    }

    /// Expects exactly one error, at `line`, for `key`, of kind `code`, whose message and fix contain the given text.
    @discardableResult
    static func expectError(
        _ yaml: String,
        line: Int,
        key: String,
        code: ConfigError.Code,
        message: String,
        fix: String,
        environment: [String: String] = environment,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> ConfigError? {
        let errors = errors(yaml, environment: environment)
        #expect(errors.count == 1, "expected one error, got \(errors)", sourceLocation: sourceLocation)
        guard let error = errors.first else {
            Issue.record("the config loaded without an error", sourceLocation: sourceLocation)
            return nil
        }
        #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.key == key, "\(error)", sourceLocation: sourceLocation)
        #expect(error.code == code, "\(error) has code \(error.code)", sourceLocation: sourceLocation)
        #expect(error.description.contains("tidings.yaml:\(line):"), "\(error)", sourceLocation: sourceLocation)
        #expect(error.description.contains(key), "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(message), "\(error)", sourceLocation: sourceLocation)
        #expect(!error.fix.isEmpty && error.fix.contains(fix), "\(error)", sourceLocation: sourceLocation)
        return error
    }
}
