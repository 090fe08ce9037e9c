import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the cluster's short commands (`initdb`, `pg_ctl`), as the `postgres` user when we are
/// root, because the server refuses to run as root.
package struct ClusterCommand: Sendable {
    /// The user to switch to, or nil to run as ourselves.
    package var user: String?
    /// The working directory; one the target user may enter (initdb warns otherwise).
    package var directory: String

    package init(user: String?, directory: String) {
        self.user = user
        self.directory = directory
    }

    /// Runs `executable` and returns its output (stdout and stderr together).
    ///
    /// Spawned with posix_spawn and reaped with waitpid, output to a temporary file: Foundation's
    /// `Process` on Linux waits for a descriptor that `pg_ctl start` hands down to the server it
    /// leaves running, so it would never see the command end. The wait blocks a Dispatch thread,
    /// never the cooperative pool.
    /// - Throws: ``EphemeralClusterError`` with the output when the command exits non-zero.
    package func run(_ executable: String, _ arguments: [String]) async throws -> String {
        let argv = self.argv(executable, arguments)
        let directory = self.directory
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try Self.runBlocking(argv, directory: directory) })
            }
        }
    }

    private static func runBlocking(_ argv: [String], directory: String) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("tidings-cmd-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let script =
            "cd \(shellQuoted(directory)) && exec \(argv.map(shellQuoted).joined(separator: " ")) </dev/null >\(shellQuoted(outputPath)) 2>&1"
        guard let status = spawnAndWait(["/bin/sh", "-c", script]) else {
            throw EphemeralClusterError(.commandFailed, "cannot start /bin/sh to run \(argv[0]) (errno \(errno))")
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw EphemeralClusterError(.commandFailed, "`\(argv.joined(separator: " "))` failed (exit status \(status)):\n\(text)")
        }
        return text
    }

    /// Runs `executable` synchronously, ignoring its output and failure: for `atexit` handlers.
    package func runAtExit(_ executable: String, _ arguments: [String]) {
        let script = argv(executable, arguments).map(Self.shellQuoted).joined(separator: " ") + " </dev/null >/dev/null 2>&1"
        _ = Self.spawnAndWait(["/bin/sh", "-c", "cd / && " + script])
    }

    /// Removes `path` recursively, synchronously; for `atexit` handlers.
    package static func removeAtExit(_ path: String) {
        _ = spawnAndWait(["/bin/rm", "-rf", path])
    }

    private func argv(_ executable: String, _ arguments: [String]) -> [String] {
        guard let user else { return [executable] + arguments }
        let fileManager = FileManager.default
        if let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first(where: fileManager.isExecutableFile) {
            return [runuser, "-u", user, "--", executable] + arguments
        }
        let command = ([executable] + arguments).map(Self.shellQuoted).joined(separator: " ")
        return ["/bin/su", user, "-s", "/bin/sh", "-c", command]
    }

    package static func shellQuoted(_ word: String) -> String {
        "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// The raw wait status (0 on success), or nil when the program could not be spawned.
    private static func spawnAndWait(_ argv: [String]) -> Int32? {
        var pointers = argv.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        var pid = pid_t()
        guard posix_spawn(&pid, argv[0], nil, nil, pointers, environ) == 0 else { return nil }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { return nil }
        }
        return status
    }
}
