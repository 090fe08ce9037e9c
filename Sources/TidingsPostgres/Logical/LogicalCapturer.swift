import Foundation
import Logging
import NIOCore
import TidingsCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The loop of the capturer's own thread: wins the election, reads the slot, writes the log.
///
/// Every call in here blocks (libpq), which is why it runs on a thread of its own and never on
/// a NIO event loop. One round: connect the log connection, wait until `pg_try_advisory_lock`
/// makes this gateway the capturer (the lock is a session lock, so it frees the moment the
/// holder's connection ends, a `kill -9` included), read the position the log was written
/// through, stream the slot from there, write each committed transaction's events in batches,
/// and confirm the slot only after the log transaction holding them has committed. Any failure
/// ends the round; the next starts after a capped backoff, so a missing slot or
/// `wal_level=replica` is logged clearly and retried, never a crash loop. The election's
/// decisions are ``CaptureLeadership``'s; this loop performs them.
final class LogicalCapturer {
    private let settings: LogicalCaptureSettings
    private let status: CaptureStatus
    private let stop: CaptureStopSignal
    private let logger: Logger
    private let captured: @Sendable (CapturedEvents) -> Void
    private var lastLagCheck = ContinuousClock.now - .seconds(60)
    private var lagWarned = false
    private var leadership: CaptureLeadership

    init(
        settings: LogicalCaptureSettings,
        status: CaptureStatus,
        stop: CaptureStopSignal,
        logger: Logger,
        captured: @escaping @Sendable (CapturedEvents) -> Void
    ) {
        self.captured = captured
        self.settings = settings
        self.status = status
        self.stop = stop
        self.logger = logger
        self.leadership = CaptureLeadership(electionInterval: settings.electionInterval)
    }

    /// Runs rounds until ``CaptureStopSignal/stop()``.
    func run() {
        var generator = SystemRandomNumberGenerator()
        while !stop.isStopped {
            let next: CaptureLeadership.Action
            do {
                try round()
                next = leadership.roundEnded()
            } catch {
                next = leadership.roundFailed(using: &generator)
                if case .stepDown(let delay) = next {
                    logger.error(
                        "logical capture stopped; retrying",
                        metadata: ["error": "\(error.message)", "code": "\(error.code)", "retry_in": "\(delay)"]
                    )
                }
            }
            status.setCapturer(leadership.isCapturer)
            if case .stepDown(let delay) = next { sleep(delay) }
        }
    }

    private func round() throws(LogicalCaptureError) {
        let log = try LibPQConnection(url: settings.url, replication: false, applicationName: "tidings capturer")
        defer { log.close() }
        // Reading an unchanged TOASTed value must never evaluate a table's row security policies
        // (code of the table's owner) with the capturer's rights: with this off, such a read fails instead.
        try log.execute("SET row_security = off")
        // The event builders run in their caller's search_path: only PostgreSQL's own functions.
        try log.execute("SET search_path = pg_catalog, pg_temp")
        var action = leadership.connected()
        election: while !stop.isStopped {
            switch action {
            case .askForLock:
                checkLag(log)
                let won = try log.execute("SELECT pg_try_advisory_lock($1::int8)", [String(AdvisoryLockKey.capturer)])
                action = leadership.lockAnswered(won: won.first?.first == "t")
            case .wait(let delay):
                sleep(delay)
                action = leadership.waited()
            case .lead:
                break election
            case .stepDown:
                return
            }
        }
        guard !stop.isStopped, leadership.isCapturer else { return }
        status.setCapturer(true)
        defer { status.setCapturer(false) }
        let recorded = try log.execute(ChangeLog.capturerWrittenThrough.sql)
        let position = (recorded.first?.first ?? nil).flatMap { LSN($0) } ?? .zero
        logger.info("this gateway is the capturer", metadata: ["slot": "\(settings.slot)", "written_through": "\(position)"])
        let stream = try LibPQConnection(url: settings.url, replication: true, applicationName: "tidings capturer")
        defer { stream.close() }
        try stream.startCopyBoth(
            "START_REPLICATION SLOT \(SQLText.identifier(settings.slot)) LOGICAL \(position) "
                + "(proto_version '1', publication_names \(SQLText.literal(SQLText.identifier(settings.publication))), messages 'true')"
        )
        var session = CaptureSession(
            settings: settings,
            log: log,
            stream: stream,
            writtenThrough: position,
            logger: logger,
            status: status,
            captured: captured
        )
        do {
            try session.pump(until: stop) { self.checkLag(log) }
        } catch {
            session.abandon()
            throw error
        }
        stream.endCopy()
    }

    /// Publishes the slot's lag every few seconds, and warns once past the threshold.
    private func checkLag(_ log: LibPQConnection) {
        let now = ContinuousClock.now
        guard now - lastLagCheck >= .seconds(5) else { return }
        lastLagCheck = now
        do {
            let rows = try log.execute(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::int8 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
                [settings.slot]
            )
            let lag = (rows.first?.first ?? nil).flatMap { Int64($0) } ?? 0
            status.setLag(lag)
            if lag > settings.lagWarningBytes, !lagWarned {
                lagWarned = true
                logger.warning(
                    "the replication slot holds back more WAL than capture.lag_warning",
                    metadata: ["slot": "\(settings.slot)", "lag_bytes": "\(lag)", "threshold_bytes": "\(settings.lagWarningBytes)"]
                )
            } else if lag <= settings.lagWarningBytes {
                lagWarned = false
            }
        } catch {
            logger.debug("cannot read the slot's lag", metadata: ["error": "\(error.message)"])
        }
    }

    private func sleep(_ duration: Duration) {
        let end = ContinuousClock.now + duration
        while !stop.isStopped, ContinuousClock.now < end { usleep(20_000) }
    }
}
