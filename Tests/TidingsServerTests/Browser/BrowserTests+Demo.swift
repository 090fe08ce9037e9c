import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing

extension BrowserTests {
    @Suite("The tidings dev demo in two tabs")
    struct Demo {
        @Test(
            "two tabs editing the same todo see each other's changes; a tick on a stale version loses to the first write, is rolled back with the winner's row named, and both tabs end with the winner's row"
        )
        func twoTabsConflict() async throws {
            try await DevCommandTests.withDev { baseURL, client in
                try await DevToolsBrowser.with { browser in
                    let first = try await browser.open(baseURL + "/")
                    let second = try await browser.open(baseURL + "/")
                    for tab in [first, second] {
                        try await tab.until("the stream to open", "document.getElementById('status').textContent === 'live'")
                    }

                    // Each tab sees what the other does: an added todo, a tick, an untick.
                    try await first.evaluate(
                        "(() => { document.getElementById('title').value = 'water the plants'; document.getElementById('add').requestSubmit(); })()"
                    )
                    for tab in [first, second] { try await tab.until("the new todo", Self.shows(version: 1, done: false)) }
                    try await Self.tick(first)
                    try await second.until("the first tab's tick", Self.shows(version: 2, done: true))
                    try await Self.tick(second)
                    try await first.until("the second tab's untick", Self.shows(version: 3, done: false))

                    // The second tab reloads, and its stream is held: it knows the todo at version 3
                    // and does not hear of later writes.
                    try await second.hold("*/events*")
                    try await second.reload()
                    let stream = try await second.pausedRequest()
                    try await second.until("the reloaded tab's snapshot", Self.shows(version: 3, done: false))

                    // The first write wins...
                    try await Self.tick(first)
                    try await first.until("the first tab's own write", Self.shows(version: 4, done: true))
                    #expect(try await second.evaluate(Self.shows(version: 3, done: false)) == "true", "the held tab heard of the write")

                    // ...and the stale tick made on version 3 is refused (409) and rolled back.
                    try await Self.tick(second)
                    try await second.until(
                        "the rollback of the stale tick",
                        "document.getElementById('error').textContent.includes('rolled back') && \(Self.shows(version: 3, done: false))"
                    )
                    let message = try await second.evaluate("document.getElementById('error').textContent")
                    #expect(message.contains("another tab changed it first"), "\(message)")
                    #expect(message.contains("it is done now"), "the rollback notice misstates the server's row: \(message)")
                    let stored = try await Self.serverRows(client, baseURL, token: try await Self.token(first))
                    #expect(stored == [Row(id: 1, title: "water the plants", done: true, version: 4)], "the stale write changed the row")

                    // Once its stream flows, the second tab catches up: both show the winner's row.
                    try await second.release(stream.id)
                    try await second.until("the winner's row in the second tab", Self.shows(version: 4, done: true))
                    let lists = [try await Self.list(first), try await Self.list(second)]
                    #expect(lists[0] == lists[1])
                    #expect(lists[0] == ["#1 v4 done water the plants"])
                    #expect(try await Self.serverRows(client, baseURL, token: try await Self.token(first)) == stored)
                }
            }
        }

        @Test(
            "a tick whose write is still on its way when another tab deletes the todo stays until its write is refused, then is rolled back with the deletion named, and the todo is gone in both tabs"
        )
        func tickAgainstDelete() async throws {
            try await DevCommandTests.withDev { baseURL, client in
                #expect(try await DevCommandTests.send(client, .POST, baseURL + "/dev/todos", #"{"title":"call the plumber"}"#).0 == 201)
                try await DevToolsBrowser.with { browser in
                    let first = try await browser.open(baseURL + "/")
                    let second = try await browser.open(baseURL + "/")
                    for tab in [first, second] { try await tab.until("the todo", Self.shows(version: 1, done: false)) }

                    // The second tab's tick shows at once; its write is held on its way.
                    try await second.hold("*/dev/todos/*")
                    try await Self.tick(second)
                    let write = try await second.pausedRequest()
                    try await second.until("the optimistic tick", Self.shows(version: 1, done: true))

                    // The first tab deletes the todo. The second hears of it and still shows its
                    // tick, since its own write has not been answered.
                    try await first.evaluate(#"document.querySelector('li[data-id="1"] button').click()"#)
                    try await first.until("the deletion", "document.querySelector('li[data-id=\"1\"]') === null")
                    #expect(try await second.evaluate(Self.shows(version: 1, done: true)) == "true")

                    // Its write is refused (404): the tick is rolled back and the todo is gone.
                    try await second.release(write.id)
                    try await second.until(
                        "the rollback of the tick",
                        "document.getElementById('error').textContent.includes('rolled back') && document.querySelector('li[data-id=\"1\"]') === null"
                    )
                    let message = try await second.evaluate("document.getElementById('error').textContent")
                    #expect(message.contains("it was deleted"), "\(message)")
                    #expect(try await Self.list(first) == [])
                    #expect(try await Self.list(second) == [])
                    #expect(try await Self.serverRows(client, baseURL, token: try await Self.token(first)) == [])
                }
            }
        }

        /// A todo as `/rows` returns it.
        struct Row: Decodable, Equatable {
            var id: Int
            var title: String
            var done: Bool
            var version: Int
        }

        /// Whether the page shows todo 1 at `version`, ticked or not as `done`.
        static func shows(version: Int, done: Bool) -> String {
            """
            (() => { const item = document.querySelector('li[data-id="1"]'); \
            return item !== null && item.querySelector('.id').textContent === '#1 v\(version)' \
            && item.querySelector('input').checked === \(done) && item.classList.contains('done') === \(done); })()
            """
        }

        /// Clicks todo 1's checkbox, as the user does.
        static func tick(_ tab: DevToolsTab) async throws {
            try await tab.evaluate(#"document.querySelector('li[data-id="1"] input').click()"#)
        }

        /// The page's list, one line per todo.
        static func list(_ tab: DevToolsTab) async throws -> [String] {
            let json = try await tab.evaluate(
                """
                [...document.querySelectorAll('#todos li')].map((item) =>
                  `${item.querySelector('.id').textContent} ${item.querySelector('input').checked ? 'done' : 'open'} ${item.querySelector('.title').textContent}`)
                """
            )
            return try JSONDecoder().decode([String].self, from: Data(json.utf8))
        }

        /// The dev token the page was served with.
        static func token(_ tab: DevToolsTab) async throws -> String {
            let json = try await tab.evaluate("JSON.parse(document.getElementById('tidings-config').textContent).token")
            return try JSONDecoder().decode(String.self, from: Data(json.utf8))
        }

        /// The todos as the gateway's `/rows` gives them now.
        static func serverRows(_ client: HTTPClient, _ baseURL: String, token: String) async throws -> [Row] {
            let (status, body) = try await DevCommandTests.send(
                client,
                .GET,
                baseURL + "/rows?table=todos&topic=todos/**&access_token=\(token)"
            )
            try #require(status == 200, "\(body)")
            struct Page: Decodable { var rows: [Row] }
            return try JSONDecoder().decode(Page.self, from: Data(body.utf8)).rows
        }
    }
}
