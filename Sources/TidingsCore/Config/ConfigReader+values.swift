/// Typed values: each reads an optional key, returns its default when the key is absent, and
/// reports a wrong value at its line with an example of a right one.
extension ConfigReader {
    /// A scalar that must not be empty (after `${VAR}` substitution).
    mutating func nonEmptyString(_ node: ConfigNode, example: String) -> String? {
        guard let text = scalar(node, example: example) else { return nil }
        guard !text.isEmpty else {
            let substituted = (node.rawScalar ?? "").contains("${") ? " (after substituting the environment variable)" : ""
            report(node, "is empty\(substituted)", fix: "write \(node.path.lastKey): \(example)")
            return nil
        }
        return text
    }

    /// An optional non-empty string.
    mutating func optionalString(_ key: String, in mapping: ConfigMapping, example: String) -> String? {
        mapping[key].flatMap { nonEmptyString($0, example: example) }
    }

    /// A whole number in `range`.
    mutating func integer(_ key: String, in mapping: ConfigMapping, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let node = mapping[key], let text = scalar(node, example: "\(value)") else { return value }
        let digits = node.isPlainScalar ? text.filter { $0 != "_" } : text
        let limits = range.upperBound == .max ? "\(range.lowerBound) or more" : "from \(range.lowerBound) to \(range.upperBound)"
        guard let number = Int(digits), range.contains(number) else {
            report(
                node,
                "'\(text)' is not a whole number \(limits)",
                fix: "write \(key): \(value) (the default) or another whole number \(limits)"
            )
            return value
        }
        return number
    }

    /// A duration such as `15s`; must be positive unless `allowZero`.
    mutating func duration(_ key: String, in mapping: ConfigMapping, default value: Duration, allowZero: Bool = false) -> Duration {
        let example = DurationText.format(value)
        guard let node = mapping[key], let text = scalar(node, example: example) else { return value }
        do {
            let duration = try DurationText.parse(text)
            guard duration > .zero || (allowZero && duration == .zero) else {
                report(node, "must be longer than 0", fix: "write \(key): \(example) (the default) or another positive duration")
                return value
            }
            return duration
        } catch {
            report(node, "'\(text)' is not a duration: \(error.reason)", fix: "\(error.fix); the default is \(key): \(example)")
            return value
        }
    }

    /// A positive size such as `64KiB`.
    mutating func byteCount(_ key: String, in mapping: ConfigMapping, default value: Int) -> Int {
        let example = ByteCount.format(value)
        guard let node = mapping[key], let text = scalar(node, example: example) else { return value }
        do {
            let bytes = try ByteCount.parse(text)
            guard bytes > 0 else {
                report(node, "must be larger than 0", fix: "write \(key): \(example) (the default) or another positive size")
                return value
            }
            return bytes
        } catch {
            report(node, "'\(text)' is not a size: \(error.reason)", fix: "\(error.fix); the default is \(key): \(example)")
            return value
        }
    }
}
