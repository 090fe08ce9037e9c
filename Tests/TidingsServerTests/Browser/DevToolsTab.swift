import Foundation
import Testing

/// One tab of a ``DevToolsBrowser``: runs script in its page, waits for its document to reach a
/// state, and holds its requests.
struct DevToolsTab: Sendable {
    let connection: DevToolsConnection
    /// The DevTools session attached to the tab.
    let session: String

    /// Runs `expression` (it may be a promise) in the page and returns its value as JSON text.
    /// - Throws: a ``TestFailure`` with the page's exception.
    @discardableResult
    func evaluate(_ expression: String) async throws -> String {
        let wrapped = "(async () => JSON.stringify(await (\(expression)) ?? null))()"
        let reply = try await connection.send(
            "Runtime.evaluate",
            ["expression": wrapped, "awaitPromise": true, "returnByValue": true],
            session: session
        )
        let object = try #require(try JSONSerialization.jsonObject(with: reply) as? [String: Any])
        if let exception = object["exceptionDetails"] as? [String: Any] {
            let thrown = (exception["exception"] as? [String: Any])?["description"] ?? exception["text"] ?? exception
            throw TestFailure("the page threw: \(thrown)")
        }
        return try #require((object["result"] as? [String: Any])?["value"] as? String, "no value in \(object)")
    }

    /// Waits until `condition` (a JavaScript expression) is true in the page: it is checked now and
    /// on every change of the document (a `MutationObserver`), never on a timer. After `timeout`
    /// it throws, naming `what` and showing the page's text.
    func until(_ what: String, _ condition: String, timeout: Duration = .seconds(20)) async throws {
        let milliseconds = timeout.components.seconds * 1000
        let script = """
            new Promise((resolve, reject) => {
              const met = () => { try { return Boolean(\(condition)); } catch { return false; } };
              if (met()) return resolve(true);
              const observer = new MutationObserver(() => {
                if (met()) { observer.disconnect(); clearTimeout(timer); resolve(true); }
              });
              observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
              const timer = setTimeout(() => {
                observer.disconnect();
                reject(new Error(`timed out waiting for \(what.replacingOccurrences(of: "`", with: "'")): ${document.body.innerText}`));
              }, \(milliseconds));
            })
            """
        try await evaluate(script)
    }

    /// Holds every request of this tab whose URL matches `pattern` (`*` wildcards) before it is
    /// sent, until ``release(_:)``; ``pausedRequest()`` awaits each one.
    func hold(_ pattern: String) async throws {
        try await connection.send("Fetch.enable", ["patterns": [["urlPattern": pattern, "requestStage": "Request"]]], session: session)
    }

    /// The next request ``hold(_:)`` holds: its DevTools id and its URL.
    func pausedRequest() async throws -> (id: String, url: String) {
        let event = try await connection.event("Fetch.requestPaused", session: session)
        let object = try #require(try JSONSerialization.jsonObject(with: event) as? [String: Any])
        let url = (object["request"] as? [String: Any])?["url"] as? String ?? ""
        return (try #require(object["requestId"] as? String), url)
    }

    /// Sends a held request on, and holds nothing more.
    func release(_ request: String) async throws {
        try await connection.send("Fetch.continueRequest", ["requestId": request], session: session)
        try await connection.send("Fetch.disable", session: session)
    }

    /// Loads `url` and waits for its `load` event (needs `Page.enable`, which ``DevToolsBrowser/open(_:)`` sends).
    func navigate(_ url: String) async throws {
        try await connection.send("Page.navigate", ["url": url], session: session)
        _ = try await connection.event("Page.loadEventFired", session: session)
    }

    /// Reloads the page, as the user's reload button does, and waits for its `load` event.
    func reload() async throws {
        try await connection.send("Page.reload", session: session)
        _ = try await connection.event("Page.loadEventFired", session: session)
    }
}
