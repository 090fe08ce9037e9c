import Foundation

/// The server programs a throwaway cluster needs, all from one installation.
package struct PostgresBinaries: Sendable, Equatable {
    package var initdb: String
    package var pgCtl: String

    /// Looks on `PATH`, then in the newest `/usr/lib/postgresql/*/bin` (Debian and Ubuntu keep
    /// the server programs there, off `PATH`).
    package static func find() throws -> PostgresBinaries {
        let fileManager = FileManager.default
        var directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let debianRoot = "/usr/lib/postgresql"
        let versions = ((try? fileManager.contentsOfDirectory(atPath: debianRoot)) ?? [])
            .compactMap { name in Double(name).map { (name, $0) } }
            .sorted { $0.1 > $1.1 }
        directories += versions.map { "\(debianRoot)/\($0.0)/bin" }
        for directory in directories {
            let initdb = directory + "/initdb"
            let pgCtl = directory + "/pg_ctl"
            let postgres = directory + "/postgres"
            if [initdb, pgCtl, postgres].allSatisfy({ fileManager.isExecutableFile(atPath: $0) }) {
                return PostgresBinaries(initdb: initdb, pgCtl: pgCtl)
            }
        }
        throw EphemeralClusterError(
            .postgresNotInstalled,
            "cannot find PostgreSQL's server programs (initdb, pg_ctl, postgres) on PATH or in /usr/lib/postgresql/*/bin. "
                + "Install them: `apt-get install postgresql` (Debian, Ubuntu), `dnf install postgresql-server` (Fedora), "
                + "`brew install postgresql` (macOS), or put their directory on PATH"
        )
    }
}
