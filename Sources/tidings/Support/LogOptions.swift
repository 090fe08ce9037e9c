public import ArgumentParser
import Logging

/// `--log-level` and `--log-format`, shared by every command that logs.
struct LogOptions: ParsableArguments {
    /// The two output shapes: human-readable lines or one JSON object per line.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: "Lowest level logged: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Log line format: text or json.")
    var logFormat: Format = .text

    /// Installs the log handler once for the process and returns the gateway's logger.
    func bootstrap() -> Logger {
        let level = logLevel
        switch logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: level) }
        }
        var logger = Logger(label: "tidings")
        logger.logLevel = level
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
