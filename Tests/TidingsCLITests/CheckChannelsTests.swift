import Foundation
import Testing
import TidingsCore
import TidingsPostgres
import TidingsTestSupport

/// `check --database` shows who can forge a channel's events: NOTIFY needs no privilege, so
/// every role that can connect may send one.
@Suite("check --database and channels", .timeLimit(.minutes(1)))
struct CheckChannelsTests {
    @Test("check --database names the roles that may NOTIFY a configured channel and says LISTEN works")
    func namesNotifyingRoles() async throws {
        try await TestDatabase.with("check_roles") { database, config in
            try await database.execute("DROP ROLE IF EXISTS tidings_check_writer")
            try await database.execute("CREATE ROLE tidings_check_writer LOGIN")
            let url = database.url
            let yaml =
                CommandLineTests.configYAML(database: url, port: 8443) + """

                      - channel: alerts
                        topics: ["alerts/{severity}"]
                    """
            let file = try TidingsBinary.writeTemporary(yaml)
            let result = try await TidingsBinary.runWithEnvironment(
                ["check", "--database", "--config", file],
                ["TIDINGS_TEST_SECRET": "x-secret-x-secret-x-secret-x-secret-01"]
            )
            #expect(result.status == 0, "\(result.stderr)")
            let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("channel 'alerts'") })
            #expect(line.contains("may NOTIFY"))
            #expect(line.contains("tidings_check_writer"))
            #expect(line.contains("postgres"))
            #expect(!result.stdout.contains("transaction-mode connection pooler"))
            try await database.execute("DROP ROLE tidings_check_writer")
        }
    }

    @Test("the audit reads the connecting roles and finds LISTEN working on a direct connection")
    func auditDirect() async throws {
        try await TestDatabase.with("audit") { database, _ in
            let audit = try await DatabaseAudit.read(url: database.url, logger: LiveGateway.logger)
            #expect(audit.listenWorks)
            #expect(audit.notifyingRoles.contains("postgres"))
        }
    }
}
