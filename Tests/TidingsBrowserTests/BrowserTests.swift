import Testing

/// Every test that runs Chromium, one at a time: a browser takes most of a core, and two at
/// once on a small machine starve the rest of the test run.
@Suite("The JavaScript client in headless Chromium", .serialized, .timeLimit(.minutes(1)))
enum BrowserTests {}
