import ArgumentParser
import Logging
import TidingsCore
import TidingsPostgres

/// `tidings migrate`: apply `Migrations/` and install the capture triggers the config names.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the change-log migrations, then install or update the capture trigger of every table the config names.",
        discussion: """
            Runs under an advisory lock, in one transaction: a failure changes nothing. Triggers of \
            tables the config no longer names are dropped. Safe to run again.
            """
    )

    @OptionGroup var file: ConfigFileOption
    @OptionGroup var log: LogOptions

    func run() async throws {
        let config = try file.load()
        let logger = log.bootstrap()
        let report: MigrationReport
        do {
            report = try await Migrator(url: config.postgres.url, logger: logger, configFile: file.config).migrate(config: config)
        } catch let error as MigrationError {
            throw fail(error.description, code: error.code == .schemaMismatch ? 1 : 2)
        } catch {
            throw fail("migration failed: \(error)")
        }
        print(report.summary)
    }
}

extension MigrationReport {
    /// One line per thing done, for the terminal.
    var summary: String {
        var lines: [String] = []
        lines += appliedMigrations.map { "applied \($0)" }
        lines += installedCaptures.map { "installed capture trigger on \($0)" }
        lines += updatedCaptures.map { "updated capture trigger on \($0)" }
        lines += removedCaptures.map { "removed capture trigger from \($0)" }
        lines += notes
        if lines.isEmpty { lines.append("nothing to do: the database is up to date") }
        return lines.joined(separator: "\n")
    }
}
