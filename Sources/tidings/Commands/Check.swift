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

    @Flag(help: "Also check the database: the tables and columns the config names, the installed capture, and what logical capture needs.")
    var database = false

    func run() async throws {
        let config = try file.load()
        var audit: DatabaseAudit?
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
            for warning in SchemaInspector.warnings { FileHandle.standardError.write(Data("tidings: \(warning)\n".utf8)) }
            if !problems.isEmpty {
                throw fail(problems.joined(separator: "\n"), code: 1)
            }
            do {
                audit = try await DatabaseAudit.read(url: config.postgres.url, logger: logger)
            } catch {
                throw fail("cannot check the database at \(config.postgres.url): \(error)")
            }
        }
        for note in config.postgres.url.notes { print("note: postgres.url: \(note)") }
        print(config.topicMapDescription())
        if let audit, !(audit.listenWorks && config.channels.isEmpty) {
            print(Self.describe(audit, channels: config.channels, file: file.config))
        }
        print("\(file.config): ok\(database ? " (tables and columns exist)" : "")")
    }

    /// Who may forge each channel's events, and whether LISTEN works on this path.
    static func describe(_ audit: DatabaseAudit, channels: [ChannelSource], file: String) -> String {
        var lines: [String] = []
        for channel in channels {
            lines.append(
                "channel '\(channel.channel)' (\(file):\(channel.line)): any role that can connect may NOTIFY it, so its "
                    + "events are only as trusted as these roles: \(audit.notifyingRoles.joined(separator: ", "))"
            )
        }
        if !audit.listenWorks {
            lines.append(
                "warning: a NOTIFY sent on this connection never came back to its LISTEN: postgres.url probably goes through a "
                    + "transaction-mode connection pooler, where LISTEN does not work; point the gateway at the database directly "
                    + "(or at a session-mode pooler)"
            )
        }
        return lines.joined(separator: "\n")
    }
}
