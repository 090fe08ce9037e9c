extension ListenAddress {
    /// Parses `host:port` (`0.0.0.0:8443`, `localhost:8080`) or `[ipv6]:port` (`[::1]:8443`).
    ///
    /// Port 0 is accepted and means "any free port", which tests use.
    /// - Throws: ``ValueSyntaxError`` when the host or port is missing, the port is out of
    ///   0...65535, an IPv6 address lacks brackets, or the text is a URL rather than an address.
    package init(parsing text: String) throws(ValueSyntaxError) {
        func failure(_ reason: String, _ fix: String = "write host:port, e.g. 0.0.0.0:8443 or [::1]:8443") -> ValueSyntaxError {
            ValueSyntaxError(.listenAddress, text: text, reason: reason, fix: fix)
        }
        guard !text.contains("/") else {
            throw failure("an address has no scheme or path", "write only host:port, e.g. 0.0.0.0:8443")
        }
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw failure("'[' without a closing ']'") }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else { throw failure("the port is missing", "write [\(host)]:8443") }
            port = after.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw failure("the port is missing", "write \(text):8443") }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
            guard !host.contains(":") else {
                throw failure("an IPv6 address needs brackets", "write [\(host)]:\(port)")
            }
        }
        guard !host.isEmpty else { throw failure("the host is missing", "write 0.0.0.0:\(port) to listen on every interface") }
        guard !host.contains(where: { $0 == " " || $0 == "[" || $0 == "]" }) else {
            throw failure("'\(host)' is not a host name or address")
        }
        guard port.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(port), (0...65535).contains(number) else {
            throw failure("the port must be a number from 0 to 65535", "write \(text.hasPrefix("[") ? "[\(host)]" : String(host)):8443")
        }
        self.init(host: String(host), port: number)
    }
}
