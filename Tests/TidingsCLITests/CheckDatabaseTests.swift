import Foundation
import Testing
import TidingsCore
import TidingsTestSupport

@testable import TidingsServer

@Suite("tidings check --database names capture drift", .timeLimit(.minutes(2)))
struct CheckDatabaseTests {
    @Test("a dropped template column and the problems capture met are named with file:line, exit 1, and the lock warning is printed")
    func driftIsNamed() async throws {
        try await TestDatabase.with("check_drift") { database, _ in
            try await database.execute("ALTER TABLE items DROP COLUMN group_id")
            try await database.execute("INSERT INTO items (id, note) VALUES (1, 'n')")
            let file = try TidingsBinary.writeTemporary(
                CommandLineTests.configYAML(database: database.url, port: 8443)
            )
            let result = try await TidingsBinary.runWithEnvironment(
                ["check", "--config", file, "--database"],
                ["TIDINGS_TEST_SECRET": "x-secret-x-secret-x-secret-x-secret-01"]
            )
            #expect(result.status == 1, "\(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            // The `- table:` entry is on line 10 of the config.
            #expect(
                lines.contains {
                    $0.hasPrefix("tidings: \(file):10: table public.items has no column group_id")
                        || $0.hasPrefix("\(file):10: table public.items has no column group_id")
                }
            )
            #expect(
                lines.contains {
                    $0.hasPrefix("\(file):10: capture of public.items met a problem in the application's writes: column group_id is gone")
                },
                "\(result.stderr)"
            )
            #expect(result.stderr.contains("40P01"))
        }
    }
}
