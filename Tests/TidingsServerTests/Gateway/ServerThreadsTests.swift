import Testing

@testable import TidingsServer

@Suite struct ServerThreadsTests {
    @Test("auto is one fewer than the cores, at least one; a configured count is kept")
    func count() {
        #expect(ServerThreads.count(configured: nil, cores: 1) == 1)
        #expect(ServerThreads.count(configured: nil, cores: 2) == 1)
        #expect(ServerThreads.count(configured: nil, cores: 16) == 15)
        #expect(ServerThreads.count(configured: 4, cores: 2) == 4)
    }
}
