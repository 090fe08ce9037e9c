import ArgumentParser
import TidingsCore
import TidingsServer

/// `tidings token`: mint a token signed with the configured key, for development and tests.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint a token signed with the configured key (for development and tests)."
    )

    @OptionGroup var file: ConfigFileOption

    @Option(name: .long, parsing: .upToNextOption, help: "Selectors the token may subscribe to, e.g. customers/42/**.")
    var subscribe: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "Selectors the token may publish to.")
    var publish: [String] = []

    @Option(name: .long, help: "The token's subject (sub claim).")
    var sub: String?

    @Option(name: .long, help: "How long the token is valid: 30s, 15m, 1h, 7d.")
    var ttl: String = "1h"

    @Option(name: .long, help: "PEM private key for RS256, ES256 or EdDSA (HS* use auth.jwt.secret).")
    var privateKey: String?

    func validate() throws {
        guard !subscribe.isEmpty || !publish.isEmpty else {
            throw ValidationError("give at least one --subscribe or --publish selector")
        }
        for text in subscribe + publish {
            do {
                _ = try Selector(parsing: text)
            } catch {
                throw ValidationError("bad selector \(error.description)")
            }
        }
        do {
            _ = try DurationText.parse(ttl)
        } catch {
            throw ValidationError("--ttl: \(error)")
        }
    }

    func run() async throws {
        let config = try file.load()
        let minter: TokenMinter
        do {
            minter = try await TokenMinter(settings: config.auth.jwt, privateKeyFile: privateKey)
        } catch {
            throw fail(error.description, code: 1)
        }
        let token = try await minter.mint(
            subscribe: subscribe.map { try Selector(parsing: $0) },
            publish: publish.map { try Selector(parsing: $0) },
            subject: sub,
            ttl: try DurationText.parse(ttl)
        )
        print(token)
    }
}
