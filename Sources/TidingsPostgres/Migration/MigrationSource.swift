import Foundation

/// Where ``Migrator`` reads its SQL files: the ones shipped with Tidings, a directory, or a list
/// (tests inject a broken file this way).
///
/// The shipped files are looked up, in order: in the directory named by `TIDINGS_MIGRATIONS_DIR`;
/// in the resource bundle beside the executable (`tidings_TidingsPostgres.resources/Migrations`);
/// in the source tree the binary was built from. A deployment that has neither the bundle nor the
/// sources sets `TIDINGS_MIGRATIONS_DIR`.
package struct MigrationSource: Sendable {
    private let load: @Sendable () throws -> [MigrationFile]

    private init(_ load: @escaping @Sendable () throws -> [MigrationFile]) {
        self.load = load
    }

    /// The files, sorted by name.
    /// - Throws: ``MigrationError`` with code ``MigrationError/Code/migrationFilesUnreadable``.
    package func files() throws -> [MigrationFile] {
        try load().sorted { $0.name < $1.name }
    }

    /// The `*.sql` files of `path`.
    package static func directory(_ path: String) -> MigrationSource {
        MigrationSource { try read(directory: path) }
    }

    /// Exactly these files.
    package static func files(_ files: [MigrationFile]) -> MigrationSource {
        MigrationSource { files }
    }

    /// These files and `more`, in name order.
    package func adding(_ more: [MigrationFile]) -> MigrationSource {
        let base = self
        return MigrationSource { try base.files() + more }
    }

    /// The migrations that ship with Tidings.
    package static var bundled: MigrationSource {
        MigrationSource {
            let candidates = bundledCandidates()
            let fileManager = FileManager.default
            for candidate in candidates {
                let entries = (try? fileManager.contentsOfDirectory(atPath: candidate)) ?? []
                if entries.contains(where: { $0.hasSuffix(".sql") }) { return try read(directory: candidate) }
            }
            throw MigrationError(
                .migrationFilesUnreadable,
                "cannot find the Tidings migration files; looked in \(candidates.joined(separator: ", ")). "
                    + "Set TIDINGS_MIGRATIONS_DIR to the directory holding Migrations/*.sql"
            )
        }
    }

    private static func bundledCandidates() -> [String] {
        var candidates: [String] = []
        if let directory = ProcessInfo.processInfo.environment["TIDINGS_MIGRATIONS_DIR"], !directory.isEmpty {
            candidates.append(directory)
        }
        // Where SwiftPM's generated `Bundle.module` looks first; read without that accessor, which
        // calls fatalError when the bundle is missing.
        candidates.append(
            Bundle.main.bundleURL.appendingPathComponent("tidings_TidingsPostgres.resources/Migrations").path
        )
        // Sources/TidingsPostgres/Migration/MigrationSource.swift -> the package root's Migrations/.
        let sourceRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(sourceRoot.appendingPathComponent("Migrations").path)
        return candidates
    }

    private static func read(directory: String) throws -> [MigrationFile] {
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }
            return try names.map { name in
                let url = URL(fileURLWithPath: directory).appendingPathComponent(name)
                return MigrationFile(name: name, sql: try String(contentsOf: url, encoding: .utf8))
            }
        } catch {
            throw MigrationError(.migrationFilesUnreadable, "cannot read the migration files in \(directory): \(error)")
        }
    }
}
