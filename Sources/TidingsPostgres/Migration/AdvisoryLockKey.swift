/// The fixed advisory-lock keys Tidings uses; any other user of advisory locks in the same
/// database must avoid them.
package enum AdvisoryLockKey {
    /// `pg_advisory_xact_lock` taken by `tidings.record_change` before numbering an event, so ids
    /// follow commit order: the bytes of "tidings" as a bigint. Written into the SQL of
    /// `Migrations/0001_change_log.sql`; this constant is for reference and tests.
    package static let changeID: Int64 = 32_766_977_284_925_299
    /// `pg_advisory_lock` (session) held by `tidings migrate` so two migrators never interleave:
    /// "tidings" followed by byte 1.
    package static let migration: Int64 = 8_388_346_184_940_876_545
    /// `pg_advisory_lock` (session) held by the logical capturer on its log connection: the one
    /// gateway holding it reads the slot. "tidings" followed by byte 2.
    package static let capturer: Int64 = 8_388_346_184_940_876_546
}
