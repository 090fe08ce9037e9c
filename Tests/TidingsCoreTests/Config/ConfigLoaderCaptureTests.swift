import Testing
import TidingsCore

/// `capture:` (SPEC §2): the mode, and the logical mode's slot and publication names.
@Suite struct ConfigLoaderCaptureTests {
    private let short = ConfigFixture.shortForm

    @Test("without capture:, triggers mode with the slot and publication named tidings")
    func defaults() throws {
        let config = try ConfigFixture.load(short)
        #expect(config.capture == CaptureSettings(mode: .triggers, slot: "tidings", publication: "tidings", lagWarning: 1 << 30))
    }

    @Test("capture: mode logical with its own slot, publication and lag warning")
    func logical() throws {
        let config = try ConfigFixture.load(
            short + "capture:\n  mode: logical\n  slot: app_events\n  publication: app_pub\n  lag_warning: 64MiB"
        )
        #expect(config.capture == CaptureSettings(mode: .logical, slot: "app_events", publication: "app_pub", lagWarning: 64 << 20))
    }

    @Test("an unknown mode names the two modes and what logical needs")
    func unknownMode() {
        ConfigFixture.expectError(
            short + "capture:\n  mode: wal",
            line: 11,
            key: "capture.mode",
            code: .invalidValue,
            message: "'wal' is not a capture mode",
            fix: "mode: logical (needs wal_level=logical"
        )
    }

    @Test("a slot name PostgreSQL would refuse is refused with the allowed characters")
    func badSlot() {
        ConfigFixture.expectError(
            short + "capture:\n  slot: My-Slot",
            line: 11,
            key: "capture.slot",
            code: .invalidValue,
            message: "'My-Slot' is not a valid replication slot name",
            fix: "a-z, 0-9 and _"
        )
    }
}
