import NIOCore
import TidingsCore
import TidingsPostgres

extension StreamConnection {
    /// Runs a ``Job/replay(_:)`` in the stream's task: reads the range from the log and writes
    /// what `grant` delivers through ``writeReplay(_:)``; returns the last id it covered. Throws
    /// once the stream ends. Call from a task on the stream's event loop.
    func replay(_ replay: StreamStateMachine.Replay, from log: LogReplay, hub: Hub, grant: Grant) async throws -> Int64 {
        switch replay {
        case .resume(var after, let cursor):
            let retention = try await log.retentionState(isCancelled: { self.isEnded })
            if retention.requiresReset(after: after) {
                try await writeReplay([SSEFrame.reset(after: after, oldest: retention.oldest)]).get()
                after = retention.resumePoint(after: after)
            }
            let through: Int64
            if let cursor {
                through = cursor
            } else {
                through = await hub.startCursor()
            }
            return try await fill(after: after, through: through, from: log, grant: grant)
        case .gap(var after):
            if after == .min { after = await hub.startCursor() }
            return try await fill(after: after, through: hub.cursor ?? after, from: log, grant: grant)
        }
    }

    private func fill(after: Int64, through: Int64, from log: LogReplay, grant: Grant) async throws -> Int64 {
        guard through > after else { return after }
        try await log.replay(
            after: after,
            through: through,
            grant: grant,
            isCancelled: { self.isEnded },
            write: { frames in try await self.writeReplay(frames).get() }
        )
        return through
    }
}
