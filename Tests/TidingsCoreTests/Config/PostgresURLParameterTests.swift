import Testing
import TidingsCore

/// libpq URL parameters that users paste from managed providers (SPEC §2 `postgres.url`).
@Suite struct PostgresURLParameterTests {
    @Test("verify-ca and verify-full are taken with sslrootcert")
    func verifyModes() throws {
        let full = try PostgresURL(parsing: "postgres://u@db.example/app?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem")
        #expect(full.sslMode == .verifyFull)
        #expect(full.sslRootCert == "/etc/ssl/db-ca.pem")
        let ca = try PostgresURL(parsing: "postgres://u@db.example/app?sslmode=verify-ca&sslrootcert=system")
        #expect(ca.sslMode == .verifyCA)
        #expect(ca.sslRootCert == nil)
    }

    @Test("application_name, connect_timeout and options are honoured")
    func honoured() throws {
        let url = try PostgresURL(
            parsing: "postgres://u@h/db?application_name=orders-gateway&connect_timeout=7&options=-c%20statement_timeout%3D5000"
        )
        #expect(url.applicationName == "orders-gateway")
        #expect(url.connectTimeout == 7)
        #expect(url.options == "-c statement_timeout=5000")
        #expect(url.notes.isEmpty)
    }

    @Test("channel_binding, target_session_attrs and the like are accepted with a note saying they are ignored")
    func ignoredWithNote() throws {
        let url = try PostgresURL(
            parsing:
                "postgresql://u:p@ep-x.eu-central-1.aws.neon.tech/db?sslmode=require&channel_binding=require&target_session_attrs=read-write"
        )
        #expect(url.notes.count == 2)
        #expect(url.notes.contains { $0.hasPrefix("channel_binding is ignored") })
        #expect(url.notes.contains { $0.hasPrefix("target_session_attrs is ignored") })
    }

    @Test("a URL that looks like a transaction pooler says that LISTEN does not work through one")
    func poolerNote() throws {
        for text in ["postgres://u@ep-x-pooler.eu-central-1.aws.neon.tech/db", "postgres://u@h:6543/db?pgbouncer=true"] {
            let url = try PostgresURL(parsing: text)
            #expect(url.notes.contains { $0.contains("LISTEN does not work") }, "\(text)")
        }
        #expect(try PostgresURL(parsing: "postgres://u@db.internal:6543/db").notes.isEmpty)
    }

    @Test(
        "client certificates and bad values are refused with a reason",
        arguments: [
            "postgres://u@h/db?sslcert=/c.pem", "postgres://u@h/db?connect_timeout=soon", "postgres://u@h/db?sslmode=verify",
        ]
    )
    func refused(text: String) {
        #expect(throws: PostgresURLError.self) { try PostgresURL(parsing: text) }
    }
}
