import Foundation
import TidingsPostgres

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Test clusters whose test process died without running its `atexit` handler (killed by a
/// timeout, crashed): found by the `owner.pid` file ``TestPostgres`` leaves in each, and removed by
/// the next test process so that they do not pile up.
package enum AbandonedClusters {
    static let ownerFile = "owner.pid"

    /// Marks `cluster` as belonging to this process.
    package static func claim(_ cluster: EphemeralCluster) {
        let path = cluster.baseDirectory + "/" + ownerFile
        _ = FileManager.default.createFile(atPath: path, contents: Data("\(getpid())\n".utf8))
    }

    /// Stops and deletes every claimed cluster under /tmp whose owner process is gone.
    package static func removeAll() {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for entry in entries where entry.hasPrefix("tidings-pg-") {
            let base = "/tmp/" + entry
            guard let text = try? String(contentsOfFile: base + "/" + ownerFile, encoding: .utf8),
                let owner = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                kill(owner, 0) == -1, errno == ESRCH
            else { continue }
            if let binaries = try? PostgresBinaries.find() {
                let user: String? = geteuid() == 0 ? "postgres" : nil
                ClusterCommand(user: user, directory: "/").runAtExit(
                    binaries.pgCtl,
                    ["-D", base + "/data", "-w", "-m", "immediate", "stop"]
                )
            }
            ClusterCommand.removeAtExit(base)
        }
    }
}
