import Foundation
import Testing
import TidingsTestSupport

@Suite("clients/js: the installable JavaScript client", .timeLimit(.minutes(2)))
struct ClientPackageTests {
    /// The package's directory, found from this file's place in the repository.
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("clients/js")

    @Test("the file the gateway serves is the package's tidings.js, byte for byte")
    func servedClientIsThePackagesFile() throws {
        // SwiftPM resources must live under their target, so Sources/tidings/Resources holds a
        // copy; clients/js/tidings.js is the one to edit, and this keeps the two identical.
        let canonical = try Data(contentsOf: Self.package.appendingPathComponent("tidings.js"))
        let resource = Self.package.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/tidings/Resources/tidings.js")
        let copy = try Data(contentsOf: resource)
        #expect(copy == canonical, "Sources/tidings/Resources/tidings.js differs: run cp clients/js/tidings.js Sources/tidings/Resources/")
    }

    @Test("package.json: an ES module with exports for the client and the React binding, and no runtime dependencies")
    func packageManifest() throws {
        let data = try Data(contentsOf: Self.package.appendingPathComponent("package.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(manifest["type"] as? String == "module")
        #expect(manifest["dependencies"] == nil)
        let exports = try #require(manifest["exports"] as? [String: Any])
        for (entry, file) in [(".", "tidings"), ("./react", "react")] {
            let target = try #require(exports[entry] as? [String: String], "\(entry)")
            #expect(target["default"] == "./\(file).js")
            #expect(target["types"] == "./\(file).d.ts")
            for path in [target["default"], target["types"]].compactMap({ $0 }) {
                #expect(FileManager.default.fileExists(atPath: Self.package.appendingPathComponent(path).path), "\(path)")
            }
        }
    }

    @Test("the Node tests of the parts that need no browser pass")
    func nodeTests() async throws {
        #expect(try await Self.run(["node", "--test", "test/"]) == 0)
    }

    @Test("the TypeScript declarations compile under tsc --strict")
    func declarationsTypeCheck() async throws {
        #expect(try await Self.run(["tsc", "-p", "tsconfig.json"]) == 0)
    }

    /// Runs a command in the package's directory (output to the test log); its exit status.
    private static func run(_ arguments: [String]) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = package
        var exits = try process.runReportingExit().makeAsyncIterator()
        return try #require(await exits.next())
    }
}
