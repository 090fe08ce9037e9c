import ArgumentParser
import Foundation
import Logging
import TidingsCore
import TidingsPostgres

/// `tidings check`: validate the config (and, with `--database`, the tables it names).
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the config and print the resolved topic map; exit 1 listing every error with its line."
    )

    @OptionGroup var file: ConfigFileOption

    @Flag(help: "Also check that every table and column the config names exists and that the installed capture matches.")
    var database = false

    func run() async throws {
        let config = try file.load()
        if database {
            var logger = Logger(label: "tidings")
            logger.logLevel = .error
            let problems: [SchemaProblem]
            do {
                problems = try await SchemaInspector(url: config.postgres.url, logger: logger).problems(in: config, configFile: file.config)
            } catch {
                throw fail("cannot check the database at \(config.postgres.url): \(error)")
            }
            for warning in SchemaInspector.warnings { FileHandle.standardError.write(Data("tidings: \(warning)\n".utf8)) }
            if !problems.isEmpty {
                throw fail(problems.map(\.description).joined(separator: "\n"), code: 1)
            }
        }
        print(config.topicMapDescription())
        print("\(file.config): ok\(database ? " (tables and columns exist)" : "")")
    }
}
