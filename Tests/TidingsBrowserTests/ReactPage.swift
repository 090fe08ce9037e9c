import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TidingsTestSupport

/// A plain-HTTP server for the React binding's browser test: it serves a page that renders
/// `useRows` with Debian's React (UMD builds, exposed to ES modules through an import map and a
/// small module that re-exports the global `React`), and receives the page's result.
enum ReactPage {
    /// Debian's `node-react` and `node-react-dom` install their UMD builds here.
    static let react = "/usr/share/nodejs/react/umd/react.development.js"
    static let reactDOM = "/usr/share/nodejs/react-dom/umd/react-dom.development.js"

    static let html = #"""
        <!doctype html>
        <html><head><meta charset="utf-8"><title>useRows</title>
        <script src="/vendor/react.js"></script>
        <script src="/vendor/react-dom.js"></script>
        <script type="importmap">{"imports": {"react": "/react-global.js"}}</script>
        </head>
        <body><div id="root"></div>
        <script type="module">
        import { createStore } from "/tidings.js";
        import { useRows } from "/react.js";

        const result = { errors: [], steps: [] };
        const consoleError = console.error;
        console.error = (...args) => { result.errors.push(args.map(String).join(" ")); consoleError(...args); };
        let renders = 0;
        function List() {
          const rows = useRows(store, "todos");
          renders += 1;
          return React.createElement("ul", null, rows.map((row) => React.createElement("li", { key: row.id }, `${row.id}:${row.title}`)));
        }
        const text = () => [...document.querySelectorAll("li")].map((item) => item.textContent);
        const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
        const step = async (name) => { await tick(); result.steps.push({ name, renders, text: text() }); };

        const store = createStore();
        store.load("todos", [{ id: 2, title: "b" }, { id: 1, title: "a" }], 10);
        ReactDOM.createRoot(document.getElementById("root")).render(React.createElement(List));
        await step("loaded");
        store.apply({ id: 11, event: "other.insert", data: { id: 11, table: "public.other", op: "insert", new: { id: 5 } } });
        await step("another table changed");
        store.apply({ id: 12, event: "todos.insert", data: { id: 12, table: "public.todos", op: "insert", new: { id: 3, title: "c" } } });
        await step("inserted");
        let fail;
        const sent = store.mutate("todos", 1, { title: "mine" }, () => new Promise((_, reject) => { fail = reject; }));
        await step("optimistic");
        fail(new Error("409"));
        await sent;
        await step("rolled back");
        await fetch("/result", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(result) });
        </script>
        </body></html>
        """#

    /// `react` for ES modules: the UMD build's global, re-exported.
    static let reactGlobal = """
        const React = globalThis.React;
        export default React;
        export const { useCallback, useSyncExternalStore, useState, useEffect, createElement } = React;
        """

    /// Serves the page and runs `body` with its URL and the results the page posts; stops the
    /// server on every path.
    static func with<Result: Sendable>(_ body: (String, AsyncStream<String>) async throws -> Result) async throws -> Result {
        let package = ClientPackageTests.package
        var files: [String: (String, String)] = [
            "/": (html, "text/html; charset=utf-8"),
            "/react-global.js": (reactGlobal, "text/javascript; charset=utf-8"),
        ]
        for (path, file) in [
            ("/tidings.js", package.appendingPathComponent("tidings.js").path),
            ("/react.js", package.appendingPathComponent("react.js").path),
            ("/vendor/react.js", react), ("/vendor/react-dom.js", reactDOM),
        ] {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw TestFailure(
                    "cannot read \(file): install Debian's node-react and node-react-dom (apt-get install node-react node-react-dom)"
                )
            }
            files[path] = (String(decoding: data, as: UTF8.self), "text/javascript; charset=utf-8")
        }
        let (results, resultContinuation) = AsyncStream.makeStream(of: String.self)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let router = Router()
        for (path, (text, type)) in files {
            let buffer = ByteBuffer(string: text)
            router.get(RouterPath(path)) { _, _ in
                Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: buffer))
            }
        }
        router.post("result") { request, _ -> HTTPResponse.Status in
            resultContinuation.yield(String(buffer: try await request.body.collect(upTo: 1 << 20)))
            return .noContent
        }
        var logger = Logger(label: "tidings-react-page")
        logger.logLevel = .warning
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "tidings-react-page"),
            onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(services: [application], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var portIterator = ports.makeAsyncIterator()
            guard let port = await portIterator.next() else { throw TestFailure("the React page server never started listening") }
            let result: Result
            do {
                result = try await body("http://127.0.0.1:\(port)/", results)
            } catch {
                resultContinuation.finish()
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            resultContinuation.finish()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
