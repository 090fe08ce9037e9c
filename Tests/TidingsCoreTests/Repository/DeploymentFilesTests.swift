import Foundation
import Testing
import TidingsCore

/// `docker-compose.yml`, the `Dockerfile` and `deploy/` agree with each other and with the
/// config they ship: the paths, ports and variables one names are the ones another provides.
@Suite struct DeploymentFilesTests {
    static let configFile = "deploy/tidings.yaml"
    static let gatewayServices = ["migrate", "tidings"]

    private func loadConfig() throws -> TidingsConfig {
        try ConfigLoader.load(path: DeploymentFiles.url(Self.configFile).path, environment: ConfigFixture.environment)
    }

    private func composeService(_ name: String) throws -> ComposeService {
        try #require(try DeploymentFiles.services()[name], "docker-compose.yml has no service \(name)")
    }

    @Test("deploy/tidings.yaml loads when DATABASE_URL and TIDINGS_JWT_SECRET are set")
    func configLoads() throws {
        let config = try loadConfig()
        #expect(config.tls != nil, "the compose gateway serves TLS itself")
        #expect(!config.tables.isEmpty)
        #expect(
            DeploymentFiles.variables(in: try DeploymentFiles.text(Self.configFile)).isSubset(of: Set(ConfigFixture.environment.keys))
        )
    }

    @Test("every host path the compose file mounts exists in the repository")
    func mountedHostPathsExist() throws {
        for service in try DeploymentFiles.services().values {
            for mount in service.mounts where mount.isBind {
                #expect(DeploymentFiles.exists(mount.hostURL).exists, "\(service.name) mounts \(mount.source), which does not exist")
            }
        }
    }

    @Test("the gateway services pass --config the container path of deploy/tidings.yaml")
    func configPathIsMounted() throws {
        for name in Self.gatewayServices {
            let service = try composeService(name)
            let path = try #require(service.configPath, "\(name) passes no --config")
            let mount = try #require(service.mounts.first { $0.target == path }, "\(name) does not mount \(path)")
            #expect(mount.hostURL == DeploymentFiles.url(Self.configFile))
        }
        #expect(try DeploymentFiles.dockerfile("CMD").contains { $0.contains(#""--config", "/etc/tidings/tidings.yaml""#) })
        #expect(try DeploymentFiles.dockerfile("ENTRYPOINT") == [#"["tidings"]"#], "compose commands start at the subcommand")
    }

    @Test("the environment variables the config needs are set for both gateway services")
    func environmentIsProvided() throws {
        let needed = DeploymentFiles.variables(in: try DeploymentFiles.text(Self.configFile))
        #expect(needed == ["DATABASE_URL", "TIDINGS_JWT_SECRET"])
        for name in Self.gatewayServices {
            let missing = needed.subtracting(try composeService(name).environment)
            #expect(missing.isEmpty, "\(name) does not set \(missing.sorted())")
        }
    }

    @Test("the published container port and the Dockerfile's EXPOSE are the port of listen")
    func portsMatchListen() throws {
        let port = try loadConfig().listen.port
        #expect(try composeService("tidings").containerPorts == [port])
        let exposed = try DeploymentFiles.dockerfile("EXPOSE").flatMap { $0.split(separator: " ") }
            .compactMap { Int($0.split(separator: "/").first ?? $0) }
        #expect(exposed == [port])
    }

    @Test("the TLS files of deploy/tidings.yaml lie in a directory mounted from the repository")
    func tlsFilesAreMounted() throws {
        let tls = try #require(try loadConfig().tls)
        let service = try composeService("tidings")
        for path in [tls.certificate, tls.key] {
            let mount = try #require(service.mount(holding: path), "tidings mounts nothing at \(path)")
            #expect(mount.isBind && mount.target != path, "\(path) should come from a mounted directory, not a single file")
            let host = DeploymentFiles.exists(mount.hostURL)
            #expect(host.exists && host.isDirectory, "\(mount.source) must exist (deploy/README.md makes the files in it)")
        }
    }

    @Test("PostgreSQL's init script creates every table the config captures")
    func initScriptCreatesTables() throws {
        let postgres = try composeService("postgres")
        let mount = try #require(postgres.mounts.first { $0.target.hasPrefix("/docker-entrypoint-initdb.d/") })
        let script = try String(contentsOf: mount.hostURL, encoding: .utf8).lowercased()
        for table in try loadConfig().tables {
            #expect(script.contains("create table if not exists \(table.table)"), "\(mount.source) does not create \(table.table)")
        }
    }
}
