import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing
import TidingsTestSupport

@Suite("tidings dev: the demo page and its endpoints", .timeLimit(.minutes(1)))
struct DevCommandTests {
    @Test(
        "serves the demo page with its token and the client as shipped; /dev/todos validates, refuses stale versions and writes rows that /rows and streams show"
    )
    func demoPageAndTodos() async throws {
        try await DevProcess.with { baseURL, client in
            let (pageStatus, page) = try await DevProcess.send(client, .GET, baseURL + "/")
            #expect(pageStatus == 200)
            #expect(page.contains(#"import { subscribe, createStore } from "/tidings.js""#))
            let token = try #require(page.firstMatch(of: /\{"token":"([A-Za-z0-9_.-]+)"\}/)?.1)

            let (scriptStatus, script) = try await DevProcess.send(client, .GET, baseURL + "/tidings.js")
            #expect(scriptStatus == 200)
            #expect(script == (try PackageRoot.text("clients/js/tidings.js")))

            for bad in ["not json", #"{"title":""}"#, #"{"title":"   "}"#, #"{"title":42}"#, "[]", #"{"name":"x"}"#] {
                let (status, body) = try await DevProcess.send(client, .POST, baseURL + "/dev/todos", bad)
                #expect(status == 400, "\(bad)")
                #expect(body.contains(#""error":"bad_request""#), "\(body)")
            }
            let (created, answer) = try await DevProcess.send(client, .POST, baseURL + "/dev/todos", #"{"title":"buy milk"}"#)
            #expect(created == 201)
            #expect(answer == #"{"id":1}"#)
            #expect(try await DevProcess.send(client, .PATCH, baseURL + "/dev/todos/1", #"{"done":true}"#).0 == 200)
            #expect(try await DevProcess.send(client, .PATCH, baseURL + "/dev/todos/1", #"{"done":"yes"}"#).0 == 400)
            #expect(try await DevProcess.send(client, .DELETE, baseURL + "/dev/todos/99").0 == 404)
            #expect(try await DevProcess.send(client, .DELETE, baseURL + "/dev/todos/x").0 == 400)

            // A stale version loses: 409 with the row as it is, and nothing changes.
            let (conflict, current) = try await DevProcess.send(client, .PATCH, baseURL + "/dev/todos/1", #"{"done":false,"version":1}"#)
            #expect(conflict == 409)
            #expect(current.contains(#""error":"version_conflict""#), "\(current)")
            #expect(try await DevProcess.send(client, .PATCH, baseURL + "/dev/todos/1", #"{"done":false,"version":0}"#).0 == 400)
            #expect(try await DevProcess.send(client, .GET, baseURL + "/dev/todos").0 == 404)

            let (snapshotStatus, snapshot) = try await DevProcess.send(
                client,
                .GET,
                baseURL + "/rows?table=todos&topic=todos/**&access_token=\(token)"
            )
            #expect(snapshotStatus == 200)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.utf8)) as? [String: Any])
            let rows = try #require(json["rows"] as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["title"] as? String == "buy milk")
            #expect(rows.first?["done"] as? Bool == true)
            #expect(rows.first?["version"] as? Int == 2)
            let cursor = try #require(json["cursor"] as? Int)

            // The insert and the update travelled the change log, and a stream from 0 replays them.
            var (stream, events) = try await openStream(client, "\(baseURL)/events?topic=todos/**&last_event_id=0&access_token=\(token)")
            #expect(stream.status == .ok)
            let insert = try #require(try await events.nextEvent())
            #expect(insert.name == "todos.insert")
            let update = try #require(try await events.nextEvent())
            #expect(update.name == "todos.update")
            #expect(update.id == String(cursor))
        }
    }
}
