import Foundation

/// The demo page and the JavaScript client that `tidings dev` serves, read once at startup.
///
/// They ship as resources of this target (`Resources/`). The client's canonical file is
/// `clients/js/tidings.js`; SwiftPM takes resources only from inside the target, so `Resources/`
/// holds a byte-identical copy that `ClientPackageTests` checks. They are looked up beside the executable (`tidings_tidings.resources/`), then in
/// the source tree the binary was built from, without SwiftPM's `Bundle.module`, which calls
/// `fatalError` when the bundle is missing.
struct DemoAssets: Sendable {
    let page: String
    let client: String

    /// - Throws: ``DemoAssetsError`` naming every place it looked.
    static func load() throws(DemoAssetsError) -> DemoAssets {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("tidings_tidings.resources").path,
            // Sources/tidings/Demo/DemoAssets.swift -> Sources/tidings/Resources.
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Resources").path,
        ]
        for directory in candidates {
            if let page = read(directory, "demo.html"), let client = read(directory, "tidings.js") {
                return DemoAssets(page: page, client: client)
            }
        }
        throw DemoAssetsError(
            .missing,
            "cannot find the demo page (demo.html, tidings.js); looked in \(candidates.joined(separator: ", "))"
        )
    }

    private static func read(_ directory: String, _ name: String) -> String? {
        FileManager.default.contents(atPath: directory + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }
}
