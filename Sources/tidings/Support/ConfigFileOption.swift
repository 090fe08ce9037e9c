import ArgumentParser
import Foundation
import TidingsCore

/// `--config FILE`, and loading it with errors printed the way docs/configuration.md promises.
struct ConfigFileOption: ParsableArguments {
    @Option(name: .long, help: "Path to the YAML config file.")
    var config: String = "tidings.yaml"

    /// The validated config; on errors prints each (file, line, fix) to stderr and exits 1.
    func load() throws -> TidingsConfig {
        do {
            return try ConfigLoader.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("\(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// Prints `message` to standard error and exits with `code` (2: runtime failure).
func fail(_ message: String, code: Int32 = 2) -> ExitCode {
    FileHandle.standardError.write(Data("tidings: \(message)\n".utf8))
    return ExitCode(code)
}
