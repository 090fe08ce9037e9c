import Foundation

/// `curl` run as a user would run it, with its output readable line by line as it arrives.
package final class CurlProcess: @unchecked Sendable {
    // `process` is configured before start and only read afterwards; the reader thread owns
    // the pipe's read end.
    private let process = Process()
    package let lines: AsyncStream<String>

    package init(arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        try process.run()
        let descriptor = output.fileHandleForReading.fileDescriptor
        // A blocking read loop on its own thread: the pipe has no async reader in Foundation here.
        let reader = Thread {
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, 4096) }
                if count <= 0 { break }
                pending.append(contentsOf: chunk[0..<count])
                while let newline = pending.firstIndex(of: 0x0A) {
                    continuation.yield(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
            continuation.finish()
        }
        reader.start()
    }

    /// Sends SIGTERM; the output stream ends when curl has exited.
    package func terminate() {
        if process.isRunning { process.terminate() }
    }
}
