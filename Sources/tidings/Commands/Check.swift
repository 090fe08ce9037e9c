import ArgumentParser
import Logging
import TidingsCore
import TidingsPostgres

/// `tidings check`: validate the config (and, with `--database`, the tables it names).
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the config and print the resolved topic map; exit 1 listing every error with its line."
    )

    @OptionGroup var file: ConfigFileOption

    @Flag(help: "Also check the database: the tables and columns the config names, and what logical capture needs.")
    var database = false

    func run() async throws {
        let config = try file.load()
        if database {
            var logger = Logger(label: "tidings")
            logger.logLevel = .error
            let problems: [String]
            do {
                var found = try await SchemaInspector(url: config.postgres.url, logger: logger).problems(
                    in: config,
                    configFile: file.config
                )
                .map(\.description)
                if config.capture.mode == .logical {
                    found += try await PostgresSession.withConnection(url: config.postgres.url, logger: logger) { connection in
                        try await LogicalCaptureCheck.problems(config.capture, migrated: true, on: connection, logger: logger)
                    }.map { "\(file.config): \($0)" }
                }
                problems = found
            } catch {
                throw fail("cannot check the database at \(config.postgres.url): \(error)")
            }
            if !problems.isEmpty {
                throw fail(problems.joined(separator: "\n"), code: 1)
            }
        }
        print(config.topicMapDescription())
        print("\(file.config): ok\(database ? " (tables and columns exist)" : "")")
    }
}
