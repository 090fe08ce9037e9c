import Foundation

/// The package's own folder, for tests that read a file shipped with it (`openapi.yaml`, the
/// JavaScript client, the deployment files): found from this file's place, however deep the
/// test that asks sits.
package enum PackageRoot {
    /// The folder holding `Package.swift`.
    package static let url: URL = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            let manifest = folder.appendingPathComponent("Package.swift").path
            let sources = folder.appendingPathComponent("Sources/TidingsCore").path
            if FileManager.default.fileExists(atPath: manifest) && FileManager.default.fileExists(atPath: sources) { return folder }
            folder = folder.deletingLastPathComponent()
        }
        preconditionFailure("no Package.swift above \(#filePath)")
    }()

    /// The text of `path`, relative to the package's folder.
    package static func text(_ path: String) throws -> String {
        let file = url.appendingPathComponent(path).path
        guard let data = FileManager.default.contents(atPath: file) else { throw TestFailure("cannot read \(file)") }
        return String(decoding: data, as: UTF8.self)
    }
}
