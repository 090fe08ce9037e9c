import CLibPQ
import Foundation
package import NIOCore
package import TidingsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection, used from one thread only: every call blocks, so it must never run on
/// a NIO event loop. The capturer owns two of them on its own thread: the replication stream and
/// the connection that writes the log and holds the capturer's advisory lock.
///
/// Not `Sendable`: it is created, used and closed on the capturer's thread.
package final class LibPQConnection {
    /// A query's rows, every value in PostgreSQL's text form (nil for NULL).
    package typealias Rows = [[String?]]

    /// What one wait for replication data brought.
    package enum CopyRead {
        case data(ByteBuffer)
        /// Nothing arrived within the wait.
        case idle
    }

    private var handle: OpaquePointer?
    /// The statements ``execute(prepared:_:)`` has prepared on this connection, by text.
    private var preparedNames: [String: String] = [:]

    /// Connects; `replication` opens a logical replication connection (`replication=database`).
    /// - Throws: ``LogicalCaptureError`` with libpq's message (it never contains the password).
    package init(url: PostgresURL, replication: Bool, applicationName: String) throws(LogicalCaptureError) {
        var keywords = ["host", "port", "user", "dbname", "sslmode", "application_name", "connect_timeout"]
        var values = [url.host, String(url.port), url.user, url.database, url.sslMode.rawValue, applicationName, "10"]
        if let password = url.password {
            keywords.append("password")
            values.append(password)
        }
        if replication {
            keywords.append("replication")
            values.append("database")
        }
        let connection = Self.connect(keywords: keywords, values: values)
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { Self.message($0) } ?? "out of memory"
            PQfinish(connection)
            throw LogicalCaptureError(.connectionFailed, "cannot connect to \(url): \(message)")
        }
        self.handle = connection
    }

    deinit { PQfinish(handle) }

    /// Closes the connection; later calls fail.
    package func close() {
        PQfinish(handle)
        handle = nil
        preparedNames = [:]
    }

    /// Runs one statement with text parameters and returns its rows.
    /// - Throws: ``LogicalCaptureError`` with `code` and the server's message.
    @discardableResult
    package func execute(
        _ sql: String,
        _ parameters: [String?] = [],
        code: LogicalCaptureError.Code = .logWriteFailed
    ) throws(LogicalCaptureError)
        -> Rows
    {
        guard let handle else { throw LogicalCaptureError(.connectionFailed, "the connection is closed") }
        let result = Self.withCStrings(parameters) { pointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        return try Self.rows(result, handle, code: code)
    }

    /// Runs one statement as ``execute(_:_:code:)`` does, prepared on first use and reused after:
    /// the capturer's per-batch statements are parsed and planned once per connection.
    @discardableResult
    package func execute(prepared sql: String, _ parameters: [String?]) throws(LogicalCaptureError) -> Rows {
        guard let handle else { throw LogicalCaptureError(.connectionFailed, "the connection is closed") }
        let name: String
        if let known = preparedNames[sql] {
            name = known
        } else {
            name = "tidings_\(preparedNames.count + 1)"
            let result = PQprepare(handle, name, sql, Int32(parameters.count), nil)
            defer { PQclear(result) }
            guard PQresultStatus(result) == PGRES_COMMAND_OK else {
                throw LogicalCaptureError(.logWriteFailed, Self.resultMessage(result, handle))
            }
            preparedNames[sql] = name
        }
        let result = Self.withCStrings(parameters) { pointers in
            PQexecPrepared(handle, name, Int32(parameters.count), pointers, nil, nil, 0)
        }
        return try Self.rows(result, handle, code: .logWriteFailed)
    }

    /// The rows of `result`, which this call frees.
    private static func rows(
        _ result: OpaquePointer?,
        _ handle: OpaquePointer,
        code: LogicalCaptureError.Code
    ) throws(LogicalCaptureError) -> Rows {
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            throw LogicalCaptureError(code, resultMessage(result, handle))
        }
        var rows: Rows = []
        let count = PQntuples(result)
        let fields = PQnfields(result)
        rows.reserveCapacity(Int(count))
        for row in 0..<count {
            var values: [String?] = []
            values.reserveCapacity(Int(fields))
            for field in 0..<fields {
                values.append(PQgetisnull(result, row, field) == 1 ? nil : String(cString: PQgetvalue(result, row, field)))
            }
            rows.append(values)
        }
        return rows
    }

    /// Sends a replication command that enters CopyBoth (`START_REPLICATION …`).
    package func startCopyBoth(_ command: String) throws(LogicalCaptureError) {
        guard let handle else { throw LogicalCaptureError(.connectionFailed, "the connection is closed") }
        let result = PQexec(handle, command)
        defer { PQclear(result) }
        guard PQresultStatus(result) == PGRES_COPY_BOTH else {
            throw LogicalCaptureError(.replicationRefused, Self.resultMessage(result, handle))
        }
    }

    /// Waits at most `timeoutMilliseconds` for one CopyData message.
    /// - Throws: ``LogicalCaptureError`` when the stream ends or the connection fails.
    package func readCopyData(timeoutMilliseconds: Int32) throws(LogicalCaptureError) -> CopyRead {
        guard let handle else { throw LogicalCaptureError(.connectionFailed, "the connection is closed") }
        var waited = false
        while true {
            var pointer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(handle, &pointer, 1)
            if length > 0, let pointer {
                defer { PQfreemem(pointer) }
                var buffer = ByteBuffer()
                buffer.writeBytes(UnsafeRawBufferPointer(start: pointer, count: Int(length)))
                return .data(buffer)
            }
            if length == -1 {
                let result = PQgetResult(handle)
                defer { PQclear(result) }
                throw LogicalCaptureError(.replicationRefused, "the replication stream ended: " + Self.resultMessage(result, handle))
            }
            if length < -1 { throw LogicalCaptureError(.connectionFailed, "the replication stream failed: \(Self.message(handle))") }
            if waited { return .idle }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, timeoutMilliseconds)
            if ready < 0, errno != EINTR {
                throw LogicalCaptureError(.connectionFailed, "waiting on the replication stream failed (errno \(errno))")
            }
            guard PQconsumeInput(handle) == 1 else {
                throw LogicalCaptureError(.connectionFailed, "the replication stream failed: \(Self.message(handle))")
            }
            waited = ready == 0
        }
    }

    /// Sends one CopyData message and flushes it.
    package func sendCopyData(_ bytes: [UInt8]) throws(LogicalCaptureError) {
        guard let handle else { throw LogicalCaptureError(.connectionFailed, "the connection is closed") }
        let sent = bytes.withUnsafeBufferPointer { pointer in
            pointer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 1, PQflush(handle) == 0 else {
            throw LogicalCaptureError(.connectionFailed, "cannot send to the replication stream: \(Self.message(handle))")
        }
    }

    /// Ends CopyBoth cleanly (the server then ends the stream) and closes the connection.
    package func endCopy() {
        if let handle {
            _ = PQputCopyEnd(handle, nil)
            _ = PQflush(handle)
        }
        close()
    }

    private static func connect(keywords: [String], values: [String]) -> OpaquePointer? {
        withCStrings(keywords) { keys in
            withCStrings(values) { vals in PQconnectdbParams(keys, vals, 0) }
        }
    }

    /// Null-terminated arrays of C strings that live for the duration of `body`.
    private static func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { $0.map { strdup($0) } ?? nil }
        defer { for copy in copies { free(copy) } }
        let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    private static func message(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func resultMessage(_ result: OpaquePointer?, _ handle: OpaquePointer) -> String {
        guard let result, let text = PQresultErrorMessage(result), text.pointee != 0 else { return message(handle) }
        var message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        if let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))) { message += " (SQLSTATE \(String(cString: state)))" }
        return message
    }
}
