/// A migration file cut into single statements, because postgres-nio sends one statement per query.
///
/// The splitter knows just enough SQL to find the top-level `;`: `'…'` and `E'…'` strings,
/// `"…"` identifiers, `$tag$…$tag$` bodies, `--` comments and nested `/* */` comments. A
/// statement made only of comments is dropped. It does not validate anything: the server does.
package struct SQLScript: Sendable, Equatable {
    /// One statement, without its terminating `;`.
    package struct Statement: Sendable, Equatable {
        /// The statement text, trimmed of surrounding whitespace.
        package var text: String
        /// The 1-based line of the file on which the statement starts.
        package var line: Int

        package init(text: String, line: Int) {
            self.text = text
            self.line = line
        }
    }

    package var statements: [Statement]

    package init(_ source: String) {
        var splitter = Splitter(bytes: Array(source.utf8))
        self.statements = splitter.split()
    }
}

private struct Splitter {
    let bytes: [UInt8]
    var index = 0
    var line = 1

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func split() -> [SQLScript.Statement] {
        var statements: [SQLScript.Statement] = []
        var start: Int?
        var startLine = 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ";") {
                if let first = start { statements.append(statement(from: first, to: index, line: startLine)) }
                start = nil
                index += 1
                continue
            }
            if isWhitespace(byte) {
                advance()
                continue
            }
            if byte == UInt8(ascii: "-"), peek(1) == UInt8(ascii: "-") {
                skipLineComment()
                continue
            }
            if byte == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                skipBlockComment()
                continue
            }
            if start == nil {
                start = index
                startLine = line
            }
            switch byte {
            case UInt8(ascii: "'"):
                skipQuoted(UInt8(ascii: "'"), backslashEscapes: isEscapeStringPrefix(before: index))
            case UInt8(ascii: "\""):
                skipQuoted(UInt8(ascii: "\""), backslashEscapes: false)
            case UInt8(ascii: "$"):
                if let tag = dollarTag() { skipDollarBody(tag: tag) } else { advance() }
            default:
                advance()
            }
        }
        if let first = start { statements.append(statement(from: first, to: bytes.count, line: startLine)) }
        return statements
    }

    private func statement(from first: Int, to end: Int, line: Int) -> SQLScript.Statement {
        var last = end
        while last > first, isWhitespace(bytes[last - 1]) { last -= 1 }
        return .init(text: String(decoding: bytes[first..<last], as: UTF8.self), line: line)
    }

    private func peek(_ offset: Int) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < bytes.count {
            if bytes[index] == UInt8(ascii: "\n") { line += 1 }
            index += 1
        }
    }

    private mutating func skipLineComment() {
        while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { advance() }
    }

    private mutating func skipBlockComment() {
        var depth = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                depth += 1
                advance(2)
            } else if bytes[index] == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") {
                depth -= 1
                advance(2)
                if depth == 0 { return }
            } else {
                advance()
            }
        }
    }

    private mutating func skipQuoted(_ quote: UInt8, backslashEscapes: Bool) {
        advance()
        while index < bytes.count {
            let byte = bytes[index]
            if backslashEscapes, byte == UInt8(ascii: "\\") {
                advance(2)
            } else if byte == quote {
                advance()
                guard index < bytes.count, bytes[index] == quote else { return }
                advance()
            } else {
                advance()
            }
        }
    }

    /// `E'…'` (or `e'…'`) not preceded by another identifier character.
    private func isEscapeStringPrefix(before quote: Int) -> Bool {
        guard quote >= 1, bytes[quote - 1] | 0x20 == UInt8(ascii: "e") else { return false }
        return quote == 1 || !isIdentifierByte(bytes[quote - 2])
    }

    /// The `$tag$` opening at `index`, or nil when this `$` is a parameter (`$1`) or part of a name.
    private func dollarTag() -> [UInt8]? {
        if index > 0, isIdentifierByte(bytes[index - 1]) { return nil }
        var end = index + 1
        while end < bytes.count, bytes[end] != UInt8(ascii: "$") {
            let byte = bytes[end]
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            guard isIdentifierByte(byte), byte != UInt8(ascii: "$"), !(end == index + 1 && isDigit) else { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        return Array(bytes[index...end])
    }

    private mutating func skipDollarBody(tag: [UInt8]) {
        advance(tag.count)
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "$"), index + tag.count <= bytes.count, bytes[index..<(index + tag.count)].elementsEqual(tag) {
                advance(tag.count)
                return
            }
            advance()
        }
    }

    private func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == 0x0C
    }

    private func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
            || byte >= 0x80
    }
}
