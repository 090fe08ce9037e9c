/// What became of a publish under a ``PublishKey`` (``ChangeLog/publish(topics:event:envelope:key:)``).
package enum PublishOutcome: Sendable, Equatable {
    /// Published now, with this id (nil in logical mode when the capturer has not numbered it
    /// within ``ChangeLog/publishPatience``: the event is committed and will be logged).
    case published(Int64?)
    /// Published earlier under this key with the same body, with this id (nil when that id could
    /// not be recorded).
    case repeated(Int64?)
    /// The key was used earlier with another body.
    case conflict
}
