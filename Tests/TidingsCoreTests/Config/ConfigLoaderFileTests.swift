import Foundation
import Testing
import TidingsCore

/// Errors about the file as a whole: reading it, YAML syntax, and reporting several at once.
@Suite struct ConfigLoaderFileTests {
    @Test("several errors are all reported, in line order")
    func severalErrors() {
        let yaml = """
            listen: nowhere
            tls: on
            postgres:
              url: "${MISSING_URL}"
            auth:
              jwt:
                algorithm: HS256
            topics:
              - table: Orders
                topics: ["orders/{id}"]
            stream:
              buffer: 0
              heartbeet: 1s
            """
        let errors = ConfigFixture.errors(yaml)
        #expect(errors.map(\.line) == [1, 2, 4, 6, 9, 12, 13])
        #expect(
            errors.map(\.key) == [
                "listen", "tls", "postgres.url", "auth.jwt.secret", "topics[0].table", "stream.buffer", "stream.heartbeet",
            ]
        )
        #expect(
            errors.map(\.code) == [
                .invalidValue, .invalidValue, .environmentVariable, .missingKey, .invalidValue, .invalidValue, .unknownKey,
            ]
        )
        #expect(errors.allSatisfy { !$0.fix.isEmpty })
    }

    @Test("ConfigErrors prints one error per line as FILE:LINE:COLUMN: KEY: MESSAGE — FIX")
    func description() throws {
        let error = ConfigError(
            .missingKey,
            file: "t.yaml",
            line: 3,
            column: 8,
            key: "postgres.url",
            message: "is missing",
            fix: "write url: x"
        )
        #expect(error.description == "t.yaml:3:8: postgres.url: is missing — write url: x")
        let errors = ConfigErrors([
            error, ConfigError(.fileUnreadable, file: "t.yaml", line: 0, column: 0, key: "", message: "no such file", fix: ""),
        ])
        #expect(errors.description == "t.yaml:3:8: postgres.url: is missing — write url: x\nt.yaml: no such file")
    }

    @Test("a YAML syntax error carries the line where the parser stopped")
    func syntaxError() throws {
        let yaml = "tls: off\npostgres:\n  url: \"unclosed\nauth: {}\n"
        let errors = ConfigFixture.errors(yaml)
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.code == .invalidYAML)
        #expect(error.message.contains("YAML syntax error"))
        #expect(error.line >= 3)
        #expect(!error.fix.isEmpty)
    }

    @Test("a bad indentation is a syntax error with its line")
    func badIndentation() throws {
        let yaml = "tls: off\npostgres:\n  url: x\n bad: 1\n"
        let error = try #require(ConfigFixture.errors(yaml).first)
        #expect(error.line == 4)
        #expect(error.code == .invalidYAML)
        #expect(error.message.contains("YAML syntax error"))
    }

    @Test("a key written twice in one mapping is an error at its line")
    func duplicateKey() throws {
        let errors = ConfigFixture.errors(ConfigFixture.shortForm + "tls: off")
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(error.code == .invalidYAML)
        #expect(error.message.contains("'tls' appears twice in one mapping (lines 1 and 10)"))
        #expect(error.line == 10)
    }

    @Test("an empty file, or one with comments only, is one error at line 1", arguments: ["", "# nothing yet\n", "\n\n", "~"])
    func emptyFile(yaml: String) {
        ConfigFixture.expectError(yaml, line: 1, key: "", code: .emptyFile, message: "the file is empty", fix: "tidings.example.yaml")
    }

    @Test("a document that is not a mapping is a type error")
    func notAMapping() {
        ConfigFixture.expectError(
            "- tls: off",
            line: 1,
            key: "",
            code: .wrongShape,
            message: "expected a mapping",
            fix: "write the file as a mapping"
        )
    }

    @Test("a missing file is one error naming the file")
    func missingFile() {
        let path = "/nonexistent-\(UInt64.random(in: 0...UInt64.max))/tidings.yaml"
        let error = #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: path, environment: [:]) }
        #expect(error?.errors.count == 1)
        #expect(error?.errors.first?.code == .fileUnreadable)
        #expect(error?.errors.first?.description.hasPrefix("\(path): no such file — ") == true)
    }

    @Test("a directory is not a config file")
    func directory() {
        let error = #expect(throws: ConfigErrors.self) {
            try ConfigLoader.load(path: FileManager.default.temporaryDirectory.path, environment: [:])
        }
        #expect(error?.errors.first?.code == .fileUnreadable)
        #expect(error?.errors.first?.message.contains("directory") == true)
    }

    @Test("a key repeated inside a topics entry points at the repetition")
    func duplicateKeyInEntry() throws {
        let error = try #require(ConfigFixture.errors(ConfigFixture.shortForm + "  - table: items\n    table: more\n    topics: [x]").first)
        #expect(error.line == 11)
        #expect(error.code == .invalidYAML)
        #expect(error.message.contains("(lines 10 and 11)"))
    }
}
