import Testing
import TidingsCore

@Suite struct PostgresURLTests {
    @Test("every part of a full URL is read")
    func full() throws {
        let url = try PostgresURL(parsing: "postgres://app:s3cret@db.internal:6543/orders?sslmode=require")
        #expect(url == PostgresURL(host: "db.internal", port: 6543, user: "app", password: "s3cret", database: "orders", sslMode: .require))
    }

    @Test("defaults: port 5432, user postgres, database = user, sslmode prefer")
    func defaults() throws {
        let url = try PostgresURL(parsing: "postgresql://localhost")
        #expect(url == PostgresURL(host: "localhost", port: 5432, user: "postgres", password: nil, database: "postgres", sslMode: .prefer))
        #expect(try PostgresURL(parsing: "postgres://alice@h").database == "alice")
    }

    @Test("bracketed IPv6 hosts, with and without a port")
    func ipv6() throws {
        let withPort = try PostgresURL(parsing: "postgres://u@[::1]:5433/db")
        #expect(withPort.host == "::1")
        #expect(withPort.port == 5433)
        #expect(try PostgresURL(parsing: "postgres://u@[fe80::1]/db").port == 5432)
        #expect(withPort.description == "postgres://u@[::1]:5433/db?sslmode=prefer")
    }

    @Test("user, password and database are percent-decoded")
    func percentDecoding() throws {
        let url = try PostgresURL(parsing: "postgres://us%40er:p%3Ass%2Fw@h/my%20db")
        #expect(url.user == "us@er")
        #expect(url.password == "p:ss/w")
        #expect(url.database == "my db")
    }

    @Test("every sslmode is read", arguments: PostgresURL.SSLMode.allCases)
    func sslModes(mode: PostgresURL.SSLMode) throws {
        #expect(try PostgresURL(parsing: "postgres://u@h/db?sslmode=\(mode.rawValue)").sslMode == mode)
    }

    @Test(
        "bad URLs are refused",
        arguments: [
            "localhost:5432", "mysql://u@h/db", "postgres://u@h:0/db", "postgres://u@h:65536/db", "postgres://u@h:x/db",
            "postgres://u@/db", "postgres://u@h/db?sslmode=verify", "postgres://u@h/db?foo=1", "postgres://u@[::1]:99999/db",
        ]
    )
    func refused(text: String) {
        #expect(throws: PostgresURLError.self) { try PostgresURL(parsing: text) }
    }

    @Test(
        "a refused URL names the part to fix by its code",
        arguments: [
            ("localhost:5432", PostgresURLError.Code.malformed), ("mysql://u@h/db", .unsupportedScheme),
            ("postgres://u@h:0/db", .invalidPort), ("postgres://u@h:x/db", .invalidPort), ("postgres://u@/db", .missingHost),
            ("postgres://u@h/db?sslmode=verify", .invalidValue), ("postgres://u@h/db?connect_timeout=soon", .invalidValue),
            ("postgres://u@h/db?sslcert=/c.pem", .unsupportedParameter), ("postgres://u@h/db?foo=1", .unsupportedParameter),
        ]
    )
    func refusalCodes(text: String, code: PostgresURLError.Code) {
        let error = #expect(throws: PostgresURLError.self) { try PostgresURL(parsing: text) }
        #expect(error?.code == code, "\(text): \(error?.message ?? "")")
        #expect(error?.description == error?.message)
    }

    @Test("the description and the errors never show the password")
    func hidesPassword() throws {
        let url = try PostgresURL(parsing: "postgres://app:hunter2@h/db")
        #expect(url.description == "postgres://app:***@h:5432/db?sslmode=prefer")
        #expect(!String(describing: url).contains("hunter2"))
        let error = #expect(throws: PostgresURLError.self) { try PostgresURL(parsing: "postgres://app:hunter2@h:99999/db") }
        #expect(error?.description.contains("hunter2") == false)
    }
}
