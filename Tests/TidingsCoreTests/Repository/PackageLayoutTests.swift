import Foundation
import Testing
import TidingsTestSupport

/// The layout shows the architecture: test support stays out of the products, and the tests of
/// the server, the core and the PostgreSQL module sit in folders named after the source folders
/// they test.
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

    /// The folders directly under `folder`.
    static func subfolders(of folder: String) throws -> Set<Substring> {
        let root = PackageRoot.url.appendingPathComponent(folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path)
        return Set(
            names.filter { name in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: root.appendingPathComponent(name).path, isDirectory: &isDirectory)
                    && isDirectory.boolValue
            }.map { Substring($0) }
        )
    }

    /// Expects every Swift file of `tests` to sit one folder deep, in a folder named in `allowed`.
    static func expectMirrored(_ tests: String, allowed: Set<Substring>, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for file in try swiftFiles(under: tests) {
            let parts = file.split(separator: "/")
            #expect(parts.count == 2, "\(tests)/\(file) is not in a folder", sourceLocation: sourceLocation)
            if parts.count == 2 {
                #expect(allowed.contains(parts[0]), "\(tests)/\(file): no source folder \(parts[0])", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("the server's tests sit in folders named after the source folders they test")
    func serverTestsMirrorSources() throws {
        var sourceFolders: Set<Substring> = ["Stream"]  // the stream path: Stream/, Hub/
        for module in ["TidingsServer", "TidingsPostgres"] {
            sourceFolders.formUnion(try Self.subfolders(of: "Sources/" + module))
        }
        try Self.expectMirrored("Tests/TidingsServerTests", allowed: sourceFolders)
    }

    @Test("the core's tests sit in folders named after its source folders, or Support/ and Repository/ (the files beyond Sources/)")
    func coreTestsMirrorSources() throws {
        try Self.expectMirrored(
            "Tests/TidingsCoreTests",
            allowed: try Self.subfolders(of: "Sources/TidingsCore").union(["Support", "Repository"])
        )
    }

    @Test("the PostgreSQL tests sit in folders named after its source folders, or Support/")
    func postgresTestsMirrorSources() throws {
        try Self.expectMirrored(
            "Tests/TidingsPostgresTests",
            allowed: try Self.subfolders(of: "Sources/TidingsPostgres").union(["Support"])
        )
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
