import Hummingbird
import ServiceLifecycle
import TidingsPostgres

/// The gateway as one service: its application (the PostgreSQL client, the feeds, the hub's
/// clock, the HTTP server), then the feed's thread.
///
/// The thread ends only after the application has returned, on every path out: the change feed
/// and the channel listeners run their tasks on it until they stop, and a job handed to a loop
/// that has shut down would leave its task suspended forever.
struct GatewayService: Service {
    let application: Application<RouterResponder<GatewayRequestContext>>
    let feedLoop: FeedEventLoop

    func run() async throws {
        let outcome: Result<Void, any Error>
        do {
            try await application.run()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        try await feedLoop.shutdown()
        try outcome.get()
    }
}
