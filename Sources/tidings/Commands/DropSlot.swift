import ArgumentParser
import Logging
import TidingsCore
import TidingsPostgres

/// `tidings drop-slot`: removes logical capture's replication slot, for uninstalling or for
/// going back to triggers mode. A slot nobody reads keeps every WAL segment from its position on.
struct DropSlot: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop-slot",
        abstract: "Drop the replication slot of capture.mode: logical (when uninstalling, or after going back to triggers).",
        discussion: """
            Stop every gateway first: a slot that a capturer is reading cannot be dropped. Events \
            committed after the slot is gone are not captured until migrate creates a new one.
            """
    )

    @OptionGroup var file: ConfigFileOption

    func run() async throws {
        let config = try file.load()
        var logger = Logger(label: "tidings")
        logger.logLevel = .error
        let dropped: Bool
        do {
            dropped = try await PostgresSession.withConnection(url: config.postgres.url, logger: logger) { connection in
                try await LogicalCaptureCheck.dropSlot(config.capture.slot, on: connection, logger: logger)
            }
        } catch {
            throw fail("cannot drop the replication slot \(config.capture.slot): \(error)")
        }
        print(dropped ? "dropped replication slot \(config.capture.slot)" : "no replication slot \(config.capture.slot): nothing to do")
    }
}
