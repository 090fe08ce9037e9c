// tidings.js: the browser client for a Tidings gateway. One ES module, no dependencies, no
// build step: `import { subscribe, createStore, createPublisher } from "/tidings.js"`.
//
// subscribe(options) -> { on(name, fn), close(), lastEventId }
//   Follows `GET ${url}/events` through EventSource.
//   url         the gateway's origin, e.g. "https://push.example.com"; "" (default) is this page's.
//   topics      selectors to follow, e.g. ["todos/**"] (at least one).
//   token       a JWT; sent as the `access_token` query parameter, since EventSource cannot set
//               headers. Omit it for public topics, or use cookies (`withCredentials: true`).
//   getToken    optional async () => token. Called for the first token when `token` is absent,
//               after `tidings.expired`, and before reopening a stream the browser gave up on.
//   tables      captured tables whose row events to receive: "todos" (schema public) or
//               "sales.orders". Each one stands for its `TABLE.insert`, `.update` and `.delete`.
//   events      other event names to receive: publish names ("chat.message"), channel names.
//   onEvent     ({id, event, data}) => void, for every event of those names and of `on()`, in
//               stream order. `data` is the parsed JSON. `id` is the change-log id, or null for
//               a channel event (channels are live only and carry no id).
//   onReset     ({after, oldest}) => void: events after `after` were pruned from the log before
//               this client read them. Refetch your state (store.clear() and reload); the events
//               retained after `after` follow.
//   onExpired   ({reason}) => void: the token ran out and the gateway ended the stream. With
//               `getToken`, the client fetches a new token and resumes from the last id by itself;
//               without it, the subscription stays closed.
//   onOpen      () => void, each time a stream opens (first time and after every reconnect).
//   onError     ({reason, retrying, error?}) => void: "reconnecting" (the browser is retrying on
//               its own), "closed" (the browser gave up, e.g. a 401, 403 or a proxy's 502: this
//               client reopens it with capped backoff), "token" (getToken failed).
//   lastEventId resume after this id on first open; 0 replays the whole retained log.
//   storageKey  keep the last id in sessionStorage under this key, so that a reloaded page
//               resumes where it stopped (it wins over `lastEventId`). Only useful when the
//               page's state survives the reload too: a fresh in-memory store needs a fresh load.
//   withCredentials  send cookies (the `tidings_token` cookie) with a cross-origin stream.
//   Event names must be known up front because EventSource dispatches a named event only to
//   listeners of that name; `on(name, fn)` adds a name later and returns a function that removes
//   the listener. Within one page, reconnects resume through the browser's own Last-Event-ID.
//
// createStore({keys}) -> { apply, load, rows, get, subscribe, clear }
//   Rows by table and key, built from row events: the one state a UI renders from.
//   keys             key column per table, e.g. {"public.todos": "id"} (default column "id").
//   apply(event)     applies a row event ({id, data: {table, op, new, old}}); an event not newer
//                    than the one that last changed that row (or than the last load) is ignored.
//                    A delete removes the row named by `old`'s key (configure `old: key` or
//                    `full`). Returns whether anything changed.
//   load(table, rows, asOf)  replaces a table with a snapshot taken at change-log id `asOf`,
//                    keeping changes newer than it that were applied meanwhile.
//   rows(table)      the rows sorted by key; get(table, key): one row or undefined.
//   subscribe(fn)    fn({table, op, key, row}) after every change; returns an unsubscribe.
//   clear()          forgets everything (on reset, before reloading).
//   Table names are "schema.table"; a bare "todos" means "public.todos".
//
// createPublisher({url, token | getToken, storageKey, ...}) -> { publish, pending, flush, close }
//   publish(topics, event, data) -> Promise of the committed change-log id. `POST ${url}/publish`
//   with `Authorization: Bearer`. Items go out one at a time, in order. A network failure or a
//   5xx keeps the item queued (in memory and in sessionStorage under `storageKey`, default
//   "tidings.outbox"; null keeps it in memory only) and retries with capped exponential backoff
//   (`minDelay`, `maxDelay` in ms), at once when the browser comes back `online`. A 4xx is the
//   gateway refusing the item: its promise rejects with a PublishError {status, code, detail},
//   it is dropped, and the queue moves on (a 401 first gets one retry with a fresh getToken()).
//   Items restored from storage after a reload have no promise: `onDelivered(item, id)` and
//   `onRejected(item, error)` report them (and every other item too). `onRetry(item, delay)`
//   says the head of the queue failed for now and is tried again in `delay` ms (show "offline").
//   Limitation: delivery is at least once. If the gateway committed an item but its answer was
//   lost (connection cut, tab closed mid-request), the item is sent again and published twice.
//   Give data a client-made id (e.g. crypto.randomUUID()) if consumers must drop repeats.
//   A duplicated browser tab copies sessionStorage, and with it the queue: both tabs send it.

const resetEvent = "tidings.reset";
const expiredEvent = "tidings.expired";
const rowOps = ["insert", "update", "delete"];

/** The event-name prefix of a table: its name without the `public` schema. */
function eventTable(table) {
    return table.startsWith("public.") ? table.slice("public.".length) : table;
}

/** "todos" -> "public.todos": the form row events carry in `data.table`. */
function qualifiedTable(table) {
    return table.includes(".") ? table : `public.${table}`;
}

/** The gateway's origin without a trailing slash, so that `${base}/events` has one. */
function baseURL(url) {
    return String(url ?? "").replace(/\/+$/, "");
}

function defaultStorage() {
    try {
        return globalThis.sessionStorage ?? null;
    } catch {
        return null; // storage disabled (sandboxed frame, privacy settings)
    }
}

/** Calls an application callback; an exception in it must not break the client's own loop. */
function safely(callback, ...args) {
    try {
        callback(...args);
    } catch (error) {
        console.error("tidings: a callback threw", error);
    }
}

function parseJSON(text) {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function backoffDelay(attempt, minDelay, maxDelay) {
    const capped = Math.min(maxDelay, minDelay * 2 ** Math.min(attempt, 20));
    return capped / 2 + Math.random() * (capped / 2);
}

export function subscribe(options) {
    const {
        url = "",
        topics,
        token = null,
        getToken = null,
        tables = [],
        events = [],
        onEvent = () => {},
        onReset = () => {},
        onExpired = () => {},
        onOpen = () => {},
        onError = () => {},
        lastEventId = null,
        storageKey = null,
        withCredentials = false,
        minDelay = 1000,
        maxDelay = 30000,
    } = options;
    if (!Array.isArray(topics) || topics.length === 0) {
        throw new TypeError("subscribe: `topics` must name at least one selector, e.g. [\"todos/**\"]");
    }
    const storage = storageKey ? defaultStorage() : null;
    const listeners = new Map(); // event name -> Set of functions given to on()
    const names = new Set(events);
    for (const table of tables) {
        for (const op of rowOps) names.add(`${eventTable(table)}.${op}`);
    }

    let lastId = null;
    const stored = storage?.getItem(storageKey);
    if (stored !== null && stored !== undefined && /^\d+$/.test(stored)) {
        lastId = Number(stored);
    } else if (lastEventId !== null && lastEventId !== undefined) {
        lastId = Number(lastEventId);
    }
    let currentToken = token;
    let source = null;
    let closed = false;
    let reopenTimer = null;
    let failures = 0;

    const deliver = (name, message) => {
        const data = parseJSON(message.data);
        // A logged event carries its id in `data` as well; a channel event has none, and
        // EventSource then repeats the previous event's id in `lastEventId`.
        const logged = data !== null && typeof data === "object" && typeof data.id === "number" && String(data.id) === message.lastEventId;
        const id = logged ? data.id : null;
        if (id !== null) {
            if (lastId !== null && id <= lastId) return;
            lastId = id;
            storage?.setItem(storageKey, String(id));
        }
        const event = { id, event: name, data };
        safely(onEvent, event);
        for (const fn of listeners.get(name) ?? []) safely(fn, event);
    };

    const listen = (name) => {
        const current = source;
        current?.addEventListener(name, (message) => {
            if (current === source) deliver(name, message);
        });
    };

    const open = () => {
        if (closed) return;
        const query = new URLSearchParams();
        for (const topic of topics) query.append("topic", topic);
        if (currentToken) query.set("access_token", currentToken);
        if (lastId !== null) query.set("last_event_id", String(lastId));
        // Handlers check that their source is still the current one: a replaced source may
        // still report its end.
        const current = new EventSource(`${baseURL(url)}/events?${query}`, { withCredentials });
        source = current;
        current.onopen = () => {
            if (current !== source) return;
            failures = 0;
            safely(onOpen);
        };
        current.onerror = () => {
            if (closed || current !== source) return;
            if (current.readyState === EventSource.CLOSED) {
                safely(onError, { reason: "closed", retrying: true });
                reopen(true);
            } else {
                safely(onError, { reason: "reconnecting", retrying: true });
            }
        };
        current.addEventListener(resetEvent, (message) => {
            if (current === source) safely(onReset, parseJSON(message.data));
        });
        current.addEventListener(expiredEvent, (message) => {
            if (current !== source) return;
            current.close();
            safely(onExpired, parseJSON(message.data));
            if (getToken) {
                reopen(false);
            } else {
                closed = true;
            }
        });
        for (const name of names) listen(name);
    };

    // Opens a new EventSource (from the last id) after a fresh token, if a getter was given.
    const reopen = (afterFailure) => {
        source?.close();
        source = null;
        const delay = afterFailure ? backoffDelay(failures++, minDelay, maxDelay) : 0;
        clearTimeout(reopenTimer);
        reopenTimer = setTimeout(async () => {
            reopenTimer = null;
            if (getToken) {
                try {
                    currentToken = await getToken();
                } catch (error) {
                    safely(onError, { reason: "token", retrying: true, error });
                    if (!closed) reopen(true);
                    return;
                }
            }
            open();
        }, delay);
    };

    if (currentToken || !getToken) {
        open();
    } else {
        reopen(false);
    }

    return {
        on(name, fn) {
            if (!listeners.has(name)) listeners.set(name, new Set());
            listeners.get(name).add(fn);
            if (!names.has(name)) {
                names.add(name);
                listen(name);
            }
            return () => listeners.get(name)?.delete(fn);
        },
        close() {
            closed = true;
            clearTimeout(reopenTimer);
            source?.close();
            source = null;
        },
        get lastEventId() {
            return lastId;
        },
    };
}

export function createStore({ keys = {} } = {}) {
    const tables = new Map(); // "schema.table" -> { rows: Map, versions: Map, floor }
    const observers = new Set();

    const tableState = (name) => {
        const table = qualifiedTable(name);
        if (!tables.has(table)) tables.set(table, { rows: new Map(), versions: new Map(), floor: -1 });
        return tables.get(table);
    };
    const keyColumn = (name) => {
        const table = qualifiedTable(name);
        return keys[table] ?? keys[eventTable(table)] ?? "id";
    };
    const keyOf = (row, column) => (row !== null && typeof row === "object" && column in row ? JSON.stringify(row[column]) : null);
    const notify = (change) => {
        for (const observer of observers) safely(observer, change);
    };
    const compareKeys = (a, b) => {
        if (typeof a === "number" && typeof b === "number") return a - b;
        const [x, y] = [String(a), String(b)];
        return x < y ? -1 : x > y ? 1 : 0;
    };

    return {
        apply(event) {
            const data = event?.data;
            if (data === null || typeof data !== "object" || typeof data.table !== "string" || !rowOps.includes(data.op)) return false;
            const state = tableState(data.table);
            const column = keyColumn(data.table);
            const id = typeof event.id === "number" ? event.id : typeof data.id === "number" ? data.id : null;
            const key = keyOf(data.op === "delete" ? data.old : data.new, column);
            if (key === null) return false;
            if (id !== null) {
                if (id <= state.floor || id <= (state.versions.get(key) ?? -1)) return false;
                state.versions.set(key, id);
            }
            // An update that changed the key itself moves the row.
            const oldKey = data.op === "update" ? keyOf(data.old, column) : null;
            if (oldKey !== null && oldKey !== key) {
                state.rows.delete(oldKey);
                if (id !== null) state.versions.set(oldKey, id);
            }
            if (data.op === "delete") {
                state.rows.delete(key);
            } else {
                state.rows.set(key, data.new);
            }
            notify({ table: qualifiedTable(data.table), op: data.op, key: JSON.parse(key), row: data.op === "delete" ? data.old : data.new });
            return true;
        },
        load(table, rows, asOf) {
            const state = tableState(table);
            const column = keyColumn(table);
            const fresh = new Map();
            for (const row of rows) {
                const key = keyOf(row, column);
                if (key !== null) fresh.set(key, row);
            }
            const versions = new Map();
            for (const [key, version] of state.versions) {
                if (version <= asOf) continue;
                versions.set(key, version);
                if (state.rows.has(key)) {
                    fresh.set(key, state.rows.get(key));
                } else {
                    fresh.delete(key);
                }
            }
            state.rows = fresh;
            state.versions = versions;
            state.floor = Math.max(state.floor, asOf);
            notify({ table: qualifiedTable(table), op: "load", key: null, row: null });
        },
        rows(table) {
            const state = tables.get(qualifiedTable(table));
            if (!state) return [];
            return [...state.rows.entries()].sort(([a], [b]) => compareKeys(JSON.parse(a), JSON.parse(b))).map(([, row]) => row);
        },
        get(table, key) {
            return tables.get(qualifiedTable(table))?.rows.get(JSON.stringify(key));
        },
        subscribe(observer) {
            observers.add(observer);
            return () => observers.delete(observer);
        },
        clear() {
            tables.clear();
            notify({ table: null, op: "clear", key: null, row: null });
        },
    };
}

/** A publish the gateway refused (4xx): `status`, its `code` (the JSON `error`) and `detail`. */
export class PublishError extends Error {
    constructor(status, code, detail) {
        super(`publish refused: ${status} ${code}: ${detail}`);
        this.name = "PublishError";
        this.status = status;
        this.code = code;
        this.detail = detail;
    }
}

export function createPublisher(options = {}) {
    const {
        url = "",
        token = null,
        getToken = null,
        storageKey = "tidings.outbox",
        minDelay = 500,
        maxDelay = 30000,
        onDelivered = () => {},
        onRejected = () => {},
        onRetry = () => {},
        withCredentials = false,
    } = options;
    const storage = storageKey ? defaultStorage() : null;
    const waiting = new Map(); // item key -> { resolve, reject }
    let queue = [];
    try {
        queue = JSON.parse(storage?.getItem(storageKey) ?? "[]");
    } catch {
        queue = [];
    }
    let currentToken = token;
    let draining = false;
    let closed = false;
    let timer = null;
    let failures = 0;
    let counter = 0;

    const save = () => {
        try {
            storage?.setItem(storageKey, JSON.stringify(queue));
        } catch (error) {
            console.error("tidings: cannot store the publish queue", error);
        }
    };

    // One attempt: {id} once committed, {error} when refused, {retry} when it may succeed later.
    const send = async (item, refreshed = false) => {
        if (!currentToken && getToken) {
            try {
                currentToken = await getToken();
            } catch {
                return { retry: true };
            }
        }
        const headers = { "Content-Type": "application/json" };
        if (currentToken) headers.Authorization = `Bearer ${currentToken}`;
        let response;
        try {
            response = await fetch(`${baseURL(url)}/publish`, {
                method: "POST",
                headers,
                body: JSON.stringify({ topics: item.topics, event: item.event, data: item.data }),
                credentials: withCredentials ? "include" : "same-origin",
            });
        } catch {
            return { retry: true };
        }
        if (response.status === 201) {
            const body = await response.json().catch(() => null);
            return { id: typeof body?.id === "number" ? body.id : null };
        }
        if (response.status === 401 && getToken && !refreshed) {
            currentToken = null;
            return send(item, true);
        }
        if (response.status >= 400 && response.status < 500) {
            const body = await response.json().catch(() => ({}));
            return { error: new PublishError(response.status, body.error ?? "refused", body.detail ?? response.statusText) };
        }
        return { retry: true };
    };

    const settle = (item, outcome) => {
        const waiter = waiting.get(item.key);
        waiting.delete(item.key);
        if (outcome.error) {
            waiter?.reject(outcome.error);
            safely(onRejected, item, outcome.error);
        } else {
            waiter?.resolve(outcome.id);
            safely(onDelivered, item, outcome.id);
        }
    };

    const drain = async () => {
        if (draining || closed) return;
        draining = true;
        try {
            while (queue.length > 0 && !closed) {
                const item = queue[0];
                const outcome = await send(item);
                if (outcome.retry) {
                    const delay = backoffDelay(failures++, minDelay, maxDelay);
                    clearTimeout(timer);
                    timer = setTimeout(() => {
                        timer = null;
                        drain();
                    }, delay);
                    safely(onRetry, item, delay);
                    return;
                }
                failures = 0;
                queue.shift();
                save();
                settle(item, outcome);
            }
        } finally {
            draining = false;
        }
    };

    const flush = () => {
        clearTimeout(timer);
        timer = null;
        failures = 0;
        drain();
    };
    globalThis.addEventListener?.("online", flush);
    if (queue.length > 0) drain();

    return {
        publish(topics, event, data = {}) {
            if (!Array.isArray(topics) || topics.length === 0 || typeof event !== "string" || event === "") {
                return Promise.reject(new TypeError("publish(topics, event, data): topics is a non-empty array, event a name"));
            }
            const key = globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${counter++}-${Math.random()}`;
            const item = { key, topics, event, data };
            const promise = new Promise((resolve, reject) => waiting.set(key, { resolve, reject }));
            queue.push(item);
            save();
            if (timer === null) drain();
            return promise;
        },
        pending() {
            return queue.length;
        },
        flush,
        close() {
            closed = true;
            clearTimeout(timer);
            globalThis.removeEventListener?.("online", flush);
        },
    };
}
