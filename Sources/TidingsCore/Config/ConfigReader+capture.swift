/// `capture:`: the capture mode and, for logical capture, the slot and publication names.
extension ConfigReader {
    mutating func readCapture(_ top: ConfigMapping) -> CaptureSettings {
        let defaults = CaptureSettings()
        guard let node = top["capture"],
            let capture = mapping(node, known: ConfigKeys.capture, example: "{ mode: logical, slot: tidings, publication: tidings }")
        else { return defaults }
        var settings = defaults
        if let modeNode = capture["mode"], let text = scalar(modeNode, example: "triggers") {
            if let mode = CaptureSettings.Mode(rawValue: text) {
                settings.mode = mode
            } else {
                report(
                    modeNode,
                    "'\(text)' is not a capture mode",
                    fix:
                        "write mode: triggers (the default: any PostgreSQL) or mode: logical (needs wal_level=logical and a role with REPLICATION)"
                )
            }
        }
        settings.slot = name("slot", in: capture, default: defaults.slot, what: "replication slot")
        settings.publication = name("publication", in: capture, default: defaults.publication, what: "publication")
        settings.lagWarning = byteCount("lag_warning", in: capture, default: defaults.lagWarning)
        return settings
    }

    /// A slot or publication name: lower-case letters, digits and `_`, at most 63 bytes, as
    /// PostgreSQL requires of slot names, so that it never needs quoting.
    private mutating func name(_ key: String, in mapping: ConfigMapping, default value: String, what: String) -> String {
        guard let node = mapping[key], let text = scalar(node, example: value) else { return value }
        let valid =
            !text.isEmpty && text.utf8.count <= 63
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard valid else {
            report(
                node,
                "'\(text)' is not a valid \(what) name",
                fix: "write \(key): \(value) or another name of 1 to 63 characters a-z, 0-9 and _"
            )
            return value
        }
        return text
    }
}
