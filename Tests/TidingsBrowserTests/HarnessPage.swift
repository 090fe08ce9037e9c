/// The test page: it runs the JavaScript client against the gateway the test names in
/// `/config`, posts a snapshot of everything it sees to `/report` after every change, and
/// carries out the test's commands from `/next-command` (publishing through the offline queue,
/// reloading itself).
enum HarnessPage {
    static let html = #"""
        <!doctype html>
        <html><head><meta charset="utf-8"><title>tidings browser test</title></head>
        <body>
        <script type="module">
        import { subscribe, createStore, createPublisher } from "/tidings.js";

        const config = await (await fetch("/config")).json();
        // Counted across reloads, so that the test can tell the reloaded page's reports apart.
        const loads = Number(sessionStorage.getItem("tidings-test.loads") ?? 0) + 1;
        sessionStorage.setItem("tidings-test.loads", String(loads));
        const store = createStore();
        const state = {
          loads, seq: loads * 1000000, opens: 0, errors: [], events: [], rows: [], settled: [], pending: 0, retries: 0, resets: 0,
          expired: 0, tokenFetches: 0, failures: [], tableLoads: 0,
        };
        let sending = false;
        let dirty = false;

        // One report in flight at a time, always the whole state; the test keeps the newest.
        async function report() {
          dirty = true;
          if (sending) return;
          sending = true;
          while (dirty) {
            dirty = false;
            state.seq += 1;
            state.rows = store.rows(config.table);
            state.pending = publisher.pending();
            try {
              await fetch("/report", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(state) });
            } catch (error) {
              dirty = true;
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
          }
          sending = false;
        }

        window.addEventListener("error", (event) => { state.failures.push(String(event.message)); report(); });
        window.addEventListener("unhandledrejection", (event) => { state.failures.push(String(event.reason)); report(); });

        const publisher = createPublisher({
          url: config.gateway,
          token: config.token,
          storageKey: "tidings-test.outbox",
          minDelay: 100,
          maxDelay: 400,
          onRetry() { state.retries += 1; report(); },
        });

        subscribe({
          url: config.gateway,
          topics: config.topics,
          token: config.token,
          tables: config.tables,
          // With the store, the client loads the tables through /rows and applies events itself.
          store: config.loadTables ? store : null,
          onLoad() { state.tableLoads += 1; report(); },
          events: config.events,
          lastEventId: config.lastEventId,
          storageKey: config.storageKey,
          // The test answers `/token` when it chooses, so it can write rows while the stream is down.
          getToken: config.tokensFromTest ? async () => {
            state.tokenFetches += 1;
            report();
            return await (await fetch("/token")).text();
          } : null,
          onEvent(event) {
            state.events.push({ id: event.id, event: event.event, tag: event.data?.data?.tag ?? null });
            if (!config.loadTables) store.apply(event);
            report();
          },
          onOpen() { state.opens += 1; report(); },
          onError(error) { state.errors.push(error.reason); report(); },
          onReset() { state.resets += 1; report(); },
          onExpired() { state.expired += 1; report(); },
        });

        async function follow(command) {
          if (command.op === "publish") {
            for (const item of command.items) {
              publisher.publish(item.topics, item.event, item.data).then(
                (id) => { state.settled.push({ tag: item.data.tag, id }); report(); },
                (error) => { state.settled.push({ tag: item.data.tag, id: null, error: String(error.message) }); report(); },
              );
            }
            report();
          } else if (command.op === "reload") {
            location.reload();
          }
        }

        for (;;) {
          let response;
          try {
            response = await fetch("/next-command");
          } catch {
            break; // the test is over
          }
          if (response.status === 200) follow(await response.json());
        }
        </script>
        </body></html>
        """#
}
