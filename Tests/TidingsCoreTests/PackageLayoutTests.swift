import Foundation
import Testing
import TidingsTestSupport

/// The layout shows the architecture: test support stays out of the products, and the server's
/// tests sit in folders named after the source folders they test.
@Suite struct PackageLayoutTests {
    /// Every `.swift` file under `folder` (relative to the package), as paths relative to it.
    static func swiftFiles(under folder: String) throws -> [String] {
        let root = PackageRoot.url.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { throw TestFailure("cannot list \(folder)") }
        return walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }.sorted()
    }

    @Test("no product target holds test support: no TestPostgres, no sweep of other clusters, no atexit hook, no test variable")
    func productHoldsNoTestSupport() throws {
        for file in try Self.swiftFiles(under: "Sources") {
            let text = try PackageRoot.text("Sources/" + file)
            for marker in ["TestPostgres", "AbandonedClusters", "atexit(", "TIDINGS_TEST_DATABASE_URL"] {
                #expect(!text.contains(marker), "Sources/\(file) mentions \(marker)")
            }
        }
        let cluster = try PackageRoot.text("Sources/TidingsPostgres/Cluster/EphemeralCluster.swift")
        #expect(!cluster.contains("public "), "EphemeralCluster is for tidings dev and the tests, not public API")
    }

    @Test("the server's tests sit in folders named after the source folders they test")
    func serverTestsMirrorSources() throws {
        var sourceFolders: Set<Substring> = ["Stream"]  // the stream path: Stream/, Hub/
        for module in ["TidingsServer", "TidingsPostgres"] {
            sourceFolders.formUnion(
                try Self.swiftFiles(under: "Sources/" + module).compactMap { $0.split(separator: "/").dropLast().first }
            )
        }
        for file in try Self.swiftFiles(under: "Tests/TidingsServerTests") {
            let parts = file.split(separator: "/")
            #expect(parts.count == 2, "Tests/TidingsServerTests/\(file) is not in a folder")
            if parts.count == 2 {
                #expect(sourceFolders.contains(parts[0]), "Tests/TidingsServerTests/\(file): no Sources/TidingsServer/\(parts[0])")
            }
        }
    }

    @Test("every statement on the change log is in TidingsPostgres/ChangeLog: no other source names the log's tables or functions in code")
    func oneHomeForTheLog() throws {
        let logObjects = try Regex(
            #"tidings\.(changes|change_keys|change_id|retention|publish_keys|outbox|capture_position|publish\(|prune\(|retention_state\(|last_change_id\(|published_id\(|log_captured\(|log_events\(|verified_publishes\()|pg_notification_queue_usage"#
        )
        for file in try Self.swiftFiles(under: "Sources") where !file.hasPrefix("TidingsPostgres/ChangeLog/") {
            let code = try PackageRoot.text("Sources/" + file).split(separator: "\n").filter {
                !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//")
            }
            for line in code where line.contains(logObjects) {
                Issue.record(
                    "Sources/\(file) holds a statement on the change log outside ChangeLog: \(line.trimmingCharacters(in: .whitespaces))"
                )
            }
        }
    }
}
