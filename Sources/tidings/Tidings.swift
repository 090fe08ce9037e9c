import ArgumentParser

/// The `tidings` command line: serve, migrate, check, token, dev.
@main
struct Tidings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidings",
        abstract: "Push committed PostgreSQL changes to browsers and apps as Server-Sent Events.",
        discussion: """
            Exit codes: 0 ok, 1 bad config (the message names file, line and fix), 2 runtime failure, \
            64 bad command-line usage.
            """,
        version: "0.1.0",
        subcommands: [Serve.self, Migrate.self, Check.self, Token.self, Dev.self, DropSlot.self]
    )
}
