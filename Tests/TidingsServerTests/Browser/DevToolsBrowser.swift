import Foundation
import Glibc
import Testing

/// A headless Chromium driven through the DevTools protocol (``DevToolsConnection``), for tests
/// of pages the test does not serve itself: it opens tabs and runs script in them.
///
/// Chromium takes the protocol on file descriptors 3 and 4 (`--remote-debugging-pipe`), which
/// Foundation's `Process` cannot hand to a child, so the browser is started with `posix_spawn`.
/// `with(_:)` always stops the browser, on failure too. A machine without Chromium fails the
/// test with what to install (see ``Chromium/executable``); it never skips.
final class DevToolsBrowser: Sendable {
    let connection: DevToolsConnection
    let logFile: String
    private let pid: pid_t
    /// Ends once the browser has exited and every process that shares its output (its
    /// renderers and helpers) has too.
    private let gone: Task<Void, Never>
    private let profile: String

    /// Starts a browser, runs `body`, and stops the browser.
    static func with<Result: Sendable>(_ body: (DevToolsBrowser) async throws -> Result) async throws -> Result {
        let browser = try DevToolsBrowser()
        do {
            let result = try await body(browser)
            await browser.stop()
            try? FileManager.default.removeItem(atPath: browser.logFile)
            return result
        } catch {
            await browser.stop()
            throw TestFailure("\(error) (the browser's log: \(browser.logFile))")
        }
    }

    /// Opens `url` in a new tab, attaches to it and waits for the page's `load` event.
    func open(_ url: String) async throws -> DevToolsTab {
        let created = try await connection.send("Target.createTarget", ["url": "about:blank"])
        let targetID = try #require(try JSONSerialization.jsonObject(with: created) as? [String: Any])["targetId"] as? String
        let attached = try await connection.send("Target.attachToTarget", ["targetId": try #require(targetID), "flatten": true])
        let session = try #require(try JSONSerialization.jsonObject(with: attached) as? [String: Any])["sessionId"] as? String
        let tab = DevToolsTab(connection: connection, session: try #require(session))
        try await connection.send("Page.enable", session: tab.session)
        try await tab.navigate(url)
        return tab
    }

    private init() throws {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-devtools-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        self.profile = profile
        logFile = profile + ".log"
        let arguments = [
            try Chromium.executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
            "--ignore-certificate-errors", "--no-first-run", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-dev-shm-usage", "--remote-debugging-pipe", "about:blank",
        ]
        // Commands: we write `toBrowser[1]`, the browser reads fd 3; replies: it writes fd 4, we read `fromBrowser[0]`.
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else {
            throw TestFailure("cannot make the DevTools pipes: errno \(errno)")
        }
        // Close-on-exec, so that no other child inherits them, and above 9, so that moving one end
        // to 3 or 4 in this child never overwrites the other.
        for index in 0..<2 {
            toBrowser[index] = try Self.raised(toBrowser[index])
            fromBrowser[index] = try Self.raised(fromBrowser[index])
        }
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        // The browser's output: it ends when every browser process has exited.
        let output = Pipe()
        let log = output.fileHandleForWriting.fileDescriptor
        defer {
            try? output.fileHandleForWriting.close()
            close(toBrowser[0])
            close(fromBrowser[1])
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, log, 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            close(toBrowser[1])
            close(fromBrowser[0])
            throw TestFailure("cannot start \(arguments[0]): error \(spawned)")
        }
        self.pid = pid
        let exited = Self.reap(pid)
        let lines = ProcessOutput(reading: output.fileHandleForReading, appendingTo: logFile).lines
        gone = Task {
            for await _ in exited {}
            for await _ in lines {}
        }
        connection = DevToolsConnection(
            output: FileHandle(fileDescriptor: toBrowser[1], closeOnDealloc: true),
            input: Self.messages(from: fromBrowser[0])
        )
    }

    /// Closes the browser (`Browser.close`, then SIGKILL if it has not exited within five
    /// seconds), waits until every browser process is gone and removes the profile; the log
    /// stays for a failed test to point at.
    func stop() async {
        let pid = self.pid
        let escalation = Task {
            try await Task.sleep(for: .seconds(5))
            kill(pid, SIGKILL)
        }
        do {
            try await connection.send("Browser.close")
        } catch {
            kill(pid, SIGTERM)  // the pipe is gone: the browser is exiting or has exited
        }
        await gone.value
        escalation.cancel()
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// `descriptor` moved to a number above 9, close-on-exec.
    private static func raised(_ descriptor: Int32) throws -> Int32 {
        let moved = fcntl(descriptor, F_DUPFD_CLOEXEC, 10)
        close(descriptor)
        guard moved >= 0 else { throw TestFailure("cannot move descriptor \(descriptor): errno \(errno)") }
        return moved
    }

    /// Waits for the browser's exit on a thread of its own; the stream yields the status once.
    private static func reap(_ pid: pid_t) -> AsyncStream<Int32> {
        let (exited, continuation) = AsyncStream.makeStream(of: Int32.self)
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            continuation.yield(status)
            continuation.finish()
        }
        return exited
    }

    /// The NUL-separated messages the browser writes to `descriptor`, read on a thread of its own
    /// until the pipe closes.
    private static func messages(from descriptor: Int32) -> AsyncStream<Data> {
        let (messages, continuation) = AsyncStream.makeStream(of: Data.self)
        Thread.detachNewThread {
            var pending = Data()
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(descriptor, &chunk, chunk.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: chunk[0..<count])
                while let end = pending.firstIndex(of: 0) {
                    continuation.yield(Data(pending[pending.startIndex..<end]))
                    pending = Data(pending[(end + 1)...])
                }
            }
            close(descriptor)
            continuation.finish()
        }
        return messages
    }
}
