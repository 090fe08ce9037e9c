import Foundation

/// A headless Chromium showing one page, for tests that run the JavaScript client in a real
/// browser.
///
/// `with(url:)` always stops the browser, on failure too. A machine without Chromium fails the
/// test with what to install; it never skips.
final class Chromium: @unchecked Sendable {
    // `process` is configured before it starts; afterwards only the test's own task calls
    // `stop()`, and the exit and the output's end are awaited through `gone`.
    let logFile: String
    private let process: Process
    /// Ends once the browser has exited and every process that shares its output (its
    /// renderers and helpers) has too.
    private let gone: Task<Void, Never>
    private let profile: String

    /// Opens `url` in a fresh profile, runs `body`, and stops the browser.
    static func with<Result: Sendable>(url: String, _ body: (Chromium) async throws -> Result) async throws -> Result {
        let browser = try Chromium(url: url)
        do {
            let result = try await body(browser)
            await browser.stop()
            try? FileManager.default.removeItem(atPath: browser.logFile)
            return result
        } catch {
            await browser.stop()
            throw error
        }
    }

    /// The browser executable: `CHROMIUM` from the environment, else `chromium` (Debian) or
    /// `chromium-browser` or `google-chrome` on `PATH`.
    static var executable: String {
        get throws {
            let environment = ProcessInfo.processInfo.environment
            if let chosen = environment["CHROMIUM"], !chosen.isEmpty { return chosen }
            let directories = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
                    return directory + "/" + name
                }
            }
            throw TestFailure(
                "the browser tests need Chromium and none was found on PATH: install it (apt-get install chromium) or set CHROMIUM=/path/to/chrome"
            )
        }
    }

    private init(url: String) throws {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-chromium-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: profile, withIntermediateDirectories: true)
        self.profile = profile
        self.logFile = profile + ".log"
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--ignore-certificate-errors",
            "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-component-update",
            "--disable-dev-shm-usage", url,
        ]
        process.standardInput = FileHandle.nullDevice
        self.process = process
        let (output, exited) = try ProcessOutput.run(process, appendingTo: logFile)
        gone = Task {
            for await _ in exited {}
            for await _ in output.lines {}
        }
    }

    /// SIGTERM, then SIGKILL if the browser has not exited within five seconds; waits until
    /// every browser process is gone, then removes the profile (the log stays for a failed test
    /// to point at).
    func stop() async {
        let pid = process.processIdentifier
        if process.isRunning { kill(pid, SIGTERM) }
        let escalation = Task {
            try await Task.sleep(for: .seconds(5))
            kill(pid, SIGKILL)
        }
        await gone.value
        escalation.cancel()
        // Nothing writes to the profile any more: the browser's helpers have exited too.
        try? FileManager.default.removeItem(atPath: profile)
    }
}
