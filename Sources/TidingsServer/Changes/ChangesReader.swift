import TidingsCore
import TidingsPostgres

/// Reads a `/changes` page from the log: the candidates the topic-key index finds after the
/// client's id, kept as the grant delivers them (the update, a moved delete or nothing), exactly as a stream would.
struct ChangesReader: Sendable {
    let log: ChangeLog
    /// Candidate pages read per request at most, so one request's work stays bounded when the
    /// index finds many events the grant does not deliver; `next` then says where to go on.
    var maxPages = 8

    func read(after: Int64, grant: Grant, limit: Int) async throws -> (changes: [Change], next: Int64) {
        // '' is the key of every TRUNCATE (`tidings.change_key_set`): the grant decides who gets one.
        let keys = TopicKeys.keys(for: grant.requested).map { [""] + $0 }
        var cursor = after
        var delivered: [Change] = []
        for _ in 0..<maxPages {
            let candidates = try await log.candidates(after: cursor, keys: keys, limit: limit)
            for change in candidates {
                cursor = change.id
                guard let view = grant.view(of: change) else { continue }
                delivered.append(view)
                if delivered.count == limit { return (delivered, cursor) }
            }
            if candidates.count < limit { break }
        }
        return (delivered, cursor)
    }
}
