import Foundation

/// A child process's standard output and error, read from a pipe on a thread of its own: copied
/// to a log file and handed to the test line by line.
///
/// The lines end when every process holding the pipe has exited: the child and any process it
/// started that kept its output (Chromium's renderers and helpers). Awaiting that end is how a
/// test knows the whole process tree is gone, without polling.
struct ProcessOutput: Sendable {
    /// The output's lines, as they come; finished at the end of the output.
    let lines: AsyncStream<String>

    /// Reads `handle` (the read end of the output pipe) until every writer has closed it.
    init(reading handle: FileHandle, appendingTo logFile: String) {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        Thread.detachNewThread {
            let log = FileHandle(forWritingAtPath: logFile)
            log?.seekToEndOfFile()
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                log?.write(chunk)
                pending.append(chunk)
                while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: pending[pending.startIndex..<end], as: UTF8.self))
                    pending = Data(pending[(end + 1)...])
                }
            }
            if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
            log?.closeFile()
            try? handle.close()
            continuation.finish()
        }
    }

    /// Runs `process` with a pipe as its standard output and error, appended to `logFile`;
    /// returns its output and the stream that yields its exit status (see `runReportingExit`).
    static func run(_ process: Process, appendingTo logFile: String) throws -> (output: ProcessOutput, exited: AsyncStream<Int32>) {
        let pipe = Pipe()
        process.standardOutput = pipe.fileHandleForWriting
        process.standardError = pipe.fileHandleForWriting
        let output = ProcessOutput(reading: pipe.fileHandleForReading, appendingTo: logFile)
        let exited: AsyncStream<Int32>
        do {
            exited = try process.runReportingExit()
        } catch {
            try? pipe.fileHandleForWriting.close()
            throw error
        }
        // The child holds the write end now; with this copy closed, the output ends when the
        // child's processes are gone.
        try pipe.fileHandleForWriting.close()
        return (output, exited)
    }
}
