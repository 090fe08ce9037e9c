import Foundation

/// The built `tidings` executable, run as a user runs it.
package enum TidingsBinary {
    /// `.build/debug/tidings` beside the test bundle (SwiftPM builds it with the tests).
    package static var path: String {
        get throws {
            let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            let packageRoot = PackageRoot.url
            let candidates = [
                bundleDirectory.appendingPathComponent("tidings").path,
                bundleDirectory.deletingLastPathComponent().appendingPathComponent("tidings").path,
                packageRoot.appendingPathComponent(".build/debug/tidings").path,
            ]
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw TestFailure("the tidings executable was not built (looked in \(candidates)); run swift build first")
            }
            return found
        }
    }

    /// Runs `tidings ARGUMENTS` to completion; returns its exit status and output.
    package static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try path)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        return await withCheckedContinuation { continuation in
            Thread {
                let out = output.fileHandleForReading.readDataToEndOfFile()
                let err = errors.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(
                    returning: (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
                )
            }.start()
        }
    }

    /// A loopback port that was free a moment ago.
    package static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(descriptor, pointer, length) == 0 else { return -1 }
                return getsockname(descriptor, pointer, &length)
            }
        }
        guard bound == 0 else { throw TestFailure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Writes `text` to a new temporary file and returns its path.
    package static func writeTemporary(_ text: String, name: String = "tidings.yaml") throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
