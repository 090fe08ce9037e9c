// tidings.js: the browser client for a Tidings gateway. One ES module, no dependencies, no
// build step. The README beside this file documents every option; tidings.d.ts types them.
//
//   subscribe(options)       follow `GET /events`; with `store` and `tables`, load each table
//                            through `GET /rows` first and stream from the snapshot's cursor.
//   createStore(options)     rows by table and key, built from row events, with a cached array
//                            per table and an optimistic overlay (`mutate`).
//   createPublisher(options) an offline-tolerant, exactly-once publish queue (`Idempotency-Key`).
//   createSSEParser(onEvent) the Server-Sent Events line parser the fetch transport uses.
//
// Transport: with a token (or `getToken`), streams are read with fetch() and the token travels
// in `Authorization: Bearer`, never in the URL where proxy logs see it; the reader resumes with
// `Last-Event-ID`, honours `retry:` and backs off. Without a token (public topics, the
// `tidings_token` cookie) it uses the browser's EventSource.

const resetEvent = "tidings.reset";
const expiredEvent = "tidings.expired";
const rowOps = ["insert", "update", "delete", "truncate"];

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

/**
 * Parses a Server-Sent Events byte stream as text chunks arrive (WHATWG HTML §9.2.6):
 * `feed(text)` for each decoded chunk, `end()` when the stream ends. Calls
 * `onEvent({event, data, id, retry})` for each dispatched event; `id` is the stream's last event
 * id so far (as EventSource's `lastEventId`), `retry` a new reconnection time in ms or null.
 */
export function createSSEParser(onEvent) {
    let buffer = "";
    let data = [];
    let event = "";
    let lastId = "";
    let sawCR = false;
    const line = (text) => {
        if (text === "") {
            if (data.length > 0) onEvent({ event: event || "message", data: data.join("\n"), id: lastId, retry: null });
            data = [];
            event = "";
            return;
        }
        if (text.startsWith(":")) return;
        const colon = text.indexOf(":");
        const field = colon === -1 ? text : text.slice(0, colon);
        let value = colon === -1 ? "" : text.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") data.push(value);
        else if (field === "event") event = value;
        else if (field === "id" && !value.includes("\0")) lastId = value;
        else if (field === "retry" && /^\d+$/.test(value)) onEvent({ event: null, data: null, id: lastId, retry: Number(value) });
    };
    return {
        feed(chunk) {
            buffer += chunk;
            let start = 0;
            for (let index = 0; index < buffer.length; index += 1) {
                const character = buffer[index];
                if (character === "\n" && sawCR) {
                    sawCR = false;
                    start = index + 1;
                    continue;
                }
                sawCR = false;
                if (character === "\r" || character === "\n") {
                    line(buffer.slice(start, index));
                    sawCR = character === "\r";
                    start = index + 1;
                }
            }
            buffer = buffer.slice(start);
        },
        end() {
            buffer = "";
            data = [];
            event = "";
        },
    };
}

/**
 * Reads `GET /events` with fetch(), so that the token goes in `Authorization: Bearer`.
 * Calls `message(name, {data, lastEventId})` per event, `opened()` per stream, `failed(reason,
 * status)` when a stream ends or cannot open. Returns `{close()}`.
 */
function fetchStream({ url, token, lastId, withCredentials, message, opened, failed }) {
    const controller = new AbortController();
    let closed = false;
    const run = async () => {
        const headers = { Accept: "text/event-stream" };
        if (token) headers.Authorization = `Bearer ${token}`;
        if (lastId !== null) headers["Last-Event-ID"] = String(lastId);
        let response;
        try {
            response = await fetch(url, {
                headers,
                signal: controller.signal,
                cache: "no-store",
                credentials: withCredentials ? "include" : "same-origin",
            });
        } catch (error) {
            if (!closed) failed("network", 0, null);
            return;
        }
        if (response.status !== 200 || !response.body) {
            if (!closed) failed("status", response.status, null);
            response.body?.cancel().catch(() => {});
            return;
        }
        opened();
        let retry = null;
        const parser = createSSEParser((event) => {
            if (closed) return;
            if (event.retry !== null) {
                retry = event.retry;
                return;
            }
            message(event.event, { data: event.data, lastEventId: event.id });
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        try {
            for (;;) {
                const { value, done } = await reader.read();
                if (done || closed) break;
                parser.feed(value);
            }
        } catch {
            // The connection broke; reported below like a clean end.
        }
        parser.end();
        if (!closed) failed("ended", 200, retry);
    };
    run();
    return {
        close() {
            closed = true;
            controller.abort();
        },
    };
}

/** Reads every page of `GET /rows` for one table: `{rows, cursor}` with the first page's cursor. */
async function loadTable({ url, table, topics, token, withCredentials, limit = 1000 }) {
    const rows = [];
    let cursor = null;
    let after = null;
    do {
        const query = new URLSearchParams({ table, limit: String(limit) });
        for (const topic of topics) query.append("topic", topic);
        if (after !== null) query.set("after", after);
        const headers = token ? { Authorization: `Bearer ${token}` } : {};
        const response = await fetch(`${baseURL(url)}/rows?${query}`, {
            headers,
            cache: "no-store",
            credentials: withCredentials ? "include" : "same-origin",
        });
        if (response.status !== 200) {
            const body = await response.json().catch(() => ({}));
            const error = new Error(`GET /rows for ${table}: ${response.status} ${body.error ?? ""} ${body.detail ?? ""}`.trim());
            error.status = response.status;
            throw error;
        }
        const page = await response.json();
        rows.push(...page.rows);
        if (cursor === null) cursor = page.cursor;
        after = page.next;
    } while (after !== null && after !== undefined);
    return { rows, cursor };
}

export function subscribe(options) {
    const {
        url = "",
        topics,
        token = null,
        getToken = null,
        tables = [],
        events = [],
        store = null,
        onEvent = () => {},
        onReset = () => {},
        onExpired = () => {},
        onOpen = () => {},
        onError = () => {},
        onLoad = () => {},
        lastEventId = null,
        storageKey = null,
        withCredentials = false,
        minDelay = 1000,
        maxDelay = 30000,
    } = options;
    if (!Array.isArray(topics) || topics.length === 0) {
        throw new TypeError("subscribe: `topics` must name at least one selector, e.g. [\"todos/**\"]");
    }
    // With a store, the tables are loaded through /rows and the stream starts at their cursor.
    const loads = store !== null && tables.length > 0;
    const storage = storageKey && !loads ? defaultStorage() : null;
    const listeners = new Map(); // event name -> Set of functions given to on()
    const names = new Set(events);
    for (const table of tables) {
        for (const op of rowOps) names.add(`${eventTable(table)}.${op}`);
    }
    const usesFetch = token !== null || getToken !== null;

    let lastId = null;
    const stored = storage?.getItem(storageKey);
    if (stored !== null && stored !== undefined && /^\d+$/.test(stored)) {
        lastId = Number(stored);
    } else if (lastEventId !== null && lastEventId !== undefined && !loads) {
        lastId = Number(lastEventId);
    }
    let currentToken = token;
    let source = null; // the open EventSource or fetch stream
    let closed = false;
    let reopenTimer = null;
    let failures = 0;
    let retryDelay = null; // the gateway's `retry:`, for the fetch transport
    let generation = 0; // bumped whenever the stream is replaced, so old callbacks stay quiet

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
        if (loads) store.apply(event);
        safely(onEvent, event);
        for (const fn of listeners.get(name) ?? []) safely(fn, event);
    };

    const control = (name, message, current) => {
        if (name === resetEvent) {
            safely(onReset, parseJSON(message.data));
            if (loads) {
                // The log lost events this copy never saw: load the tables again.
                stop();
                start();
            }
            return true;
        }
        if (name === expiredEvent) {
            current.close();
            if (source === current) source = null;
            generation += 1;
            safely(onExpired, parseJSON(message.data));
            if (getToken) {
                currentToken = null;
                reopen("now");
            } else {
                closed = true;
            }
            return true;
        }
        return false;
    };

    const streamURL = () => {
        const query = new URLSearchParams();
        for (const topic of topics) query.append("topic", topic);
        if (!usesFetch && currentToken) query.set("access_token", currentToken);
        if (!usesFetch && lastId !== null) query.set("last_event_id", String(lastId));
        return `${baseURL(url)}/events?${query}`;
    };

    const openFetch = () => {
        const mine = ++generation;
        const current = fetchStream({
            url: streamURL(),
            token: currentToken,
            lastId,
            withCredentials,
            message(name, message) {
                if (mine !== generation) return;
                if (control(name, message, current)) return;
                if (names.has(name)) deliver(name, message);
            },
            opened() {
                if (mine !== generation) return;
                failures = 0;
                safely(onOpen);
            },
            failed(reason, status, retry) {
                if (mine !== generation || closed) return;
                if (retry !== null) retryDelay = retry;
                safely(onError, { reason: reason === "ended" ? "reconnecting" : "closed", retrying: true, status });
                // A clean end is retried after `retry:`; a refusal or a network failure backs off.
                if (status === 401 && getToken) currentToken = null;
                reopen(reason === "ended" ? "ended" : "failure");
            },
        });
        source = current;
    };

    const openEventSource = () => {
        const mine = ++generation;
        const current = new EventSource(streamURL(), { withCredentials });
        source = current;
        current.onopen = () => {
            if (mine !== generation) return;
            failures = 0;
            safely(onOpen);
        };
        current.onerror = () => {
            if (closed || mine !== generation) return;
            if (current.readyState === EventSource.CLOSED) {
                safely(onError, { reason: "closed", retrying: true });
                reopen("failure");
            } else {
                safely(onError, { reason: "reconnecting", retrying: true });
            }
        };
        for (const name of [resetEvent, expiredEvent]) {
            current.addEventListener(name, (message) => {
                if (mine === generation) control(name, message, current);
            });
        }
        for (const name of names) listen(name);
    };

    const listen = (name) => {
        if (usesFetch || typeof EventSource === "undefined" || !(source instanceof EventSource)) return;
        const current = source;
        const mine = generation;
        current.addEventListener(name, (message) => {
            if (mine === generation) deliver(name, message);
        });
    };

    const open = () => {
        if (closed) return;
        if (usesFetch) openFetch();
        else openEventSource();
    };

    const stop = () => {
        generation += 1;
        source?.close();
        source = null;
        clearTimeout(reopenTimer);
        reopenTimer = null;
    };

    // Opens a new stream (from the last id) after a delay, with a fresh token if a getter was
    // given: "failure" backs off, "ended" waits the gateway's `retry:`, "now" does not wait.
    const reopen = (kind) => {
        stop();
        const backoff = backoffDelay(failures++, minDelay, maxDelay);
        const delay = kind === "failure" ? backoff : kind === "ended" ? retryDelay ?? backoff : 0;
        reopenTimer = setTimeout(async () => {
            reopenTimer = null;
            if (!(await ensureToken())) return;
            open();
        }, delay);
    };

    const ensureToken = async () => {
        if (currentToken || !getToken) return true;
        try {
            currentToken = await getToken();
            return true;
        } catch (error) {
            safely(onError, { reason: "token", retrying: true, error });
            if (!closed) reopen("failure");
            return false;
        }
    };

    // Loads every table through /rows into the store, then streams from the smallest cursor.
    const start = async () => {
        const mine = ++generation;
        if (!(await ensureToken())) return;
        if (!loads) {
            open();
            return;
        }
        try {
            let cursor = null;
            for (const table of tables) {
                const page = await loadTable({ url, table, topics, token: currentToken, withCredentials });
                if (mine !== generation || closed) return;
                store.load(table, page.rows, page.cursor);
                cursor = cursor === null ? page.cursor : Math.min(cursor, page.cursor);
            }
            lastId = cursor;
            failures = 0;
            safely(onLoad, { tables: tables.map(qualifiedTable), cursor });
            open();
        } catch (error) {
            if (mine !== generation || closed) return;
            safely(onError, { reason: "load", retrying: true, error, status: error.status ?? 0 });
            if (error.status === 401 && getToken) currentToken = null;
            clearTimeout(reopenTimer);
            reopenTimer = setTimeout(start, backoffDelay(failures++, minDelay, maxDelay));
        }
    };

    start();

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
            stop();
        },
        get lastEventId() {
            return lastId;
        },
    };
}

/** The array `rows()` returns for a table the store has never seen: always the same one. */
const noRows = Object.freeze([]);
/** An overlay's row when the optimistic change deletes the row. */
const deleted = Symbol("deleted");

export function createStore({ keys = {}, onRollback = () => {} } = {}) {
    // "schema.table" -> { rows, versions, floor, overlays, cache }: `rows` holds the server's rows,
    // `overlays` the optimistic changes on top of them, `cache` the array rows() last returned.
    const tables = new Map();
    const observers = new Set();

    const tableState = (name) => {
        const table = qualifiedTable(name);
        if (!tables.has(table)) tables.set(table, { rows: new Map(), versions: new Map(), floor: -1, overlays: new Map(), cache: null });
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
    const visible = (state, key) => {
        const overlay = state.overlays.get(key);
        if (overlay === undefined) return state.rows.get(key);
        return overlay.row === deleted ? undefined : overlay.row;
    };
    // Whether the server's row shows the overlay's change: the fields it set, or the row gone.
    const confirms = (overlay, row) => {
        if (overlay.row === deleted) return row === undefined;
        if (row === undefined) return false;
        return overlay.fields.every((field) => JSON.stringify(row[field]) === JSON.stringify(overlay.row[field]));
    };
    const rollback = (table, state, key, overlay, reason, error, callback) => {
        if (state.overlays.get(key) !== overlay) return;
        state.overlays.delete(key);
        state.cache = null;
        const row = state.rows.get(key);
        notify({ table, op: "rollback", key: JSON.parse(key), row: row ?? null });
        const notice = { table, key: JSON.parse(key), row: row ?? null, attempted: overlay.row === deleted ? null : overlay.row, reason };
        if (error !== undefined) notice.error = error;
        safely(callback ?? onRollback, notice);
    };
    // After a server change of `key`: an overlay it confirms goes quietly; one it contradicts goes
    // with a rollback once the application's write has returned (until then, ours may still land).
    const settle = (table, state, key) => {
        const overlay = state.overlays.get(key);
        if (overlay === undefined) return;
        if (confirms(overlay, state.rows.get(key))) {
            state.overlays.delete(key);
        } else if (overlay.sent) {
            rollback(table, state, key, overlay, "superseded", undefined, overlay.callback);
        }
    };

    return {
        apply(event) {
            const data = event?.data;
            if (data === null || typeof data !== "object" || typeof data.table !== "string" || !rowOps.includes(data.op)) return false;
            const table = qualifiedTable(data.table);
            const state = tableState(table);
            const id = typeof event.id === "number" ? event.id : typeof data.id === "number" ? data.id : null;
            if (data.op === "truncate") {
                if (id !== null && id <= state.floor) return false;
                state.rows = new Map();
                state.versions = new Map();
                if (id !== null) state.floor = id;
                state.cache = null;
                for (const [key, overlay] of [...state.overlays]) rollback(table, state, key, overlay, "superseded", undefined, overlay.callback);
                notify({ table, op: "truncate", key: null, row: null });
                return true;
            }
            const column = keyColumn(table);
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
                settle(table, state, oldKey);
            }
            // A delete with `moved: true` is a row that left this subscriber's view: gone all the same.
            if (data.op === "delete") {
                state.rows.delete(key);
            } else {
                state.rows.set(key, data.new);
            }
            state.cache = null;
            settle(table, state, key);
            notify({ table, op: data.op, key: JSON.parse(key), row: data.op === "delete" ? data.old : data.new });
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
            state.cache = null;
            for (const key of [...state.overlays.keys()]) settle(qualifiedTable(table), state, key);
            notify({ table: qualifiedTable(table), op: "load", key: null, row: null });
        },
        rows(table) {
            const state = tables.get(qualifiedTable(table));
            if (!state) return noRows;
            if (state.cache === null) {
                const keys = new Set([...state.rows.keys(), ...state.overlays.keys()]);
                const entries = [];
                for (const key of keys) {
                    const row = visible(state, key);
                    if (row !== undefined) entries.push([JSON.parse(key), row]);
                }
                entries.sort(([a], [b]) => compareKeys(a, b));
                state.cache = Object.freeze(entries.map(([, row]) => row));
            }
            return state.cache;
        },
        get(table, key) {
            const state = tables.get(qualifiedTable(table));
            return state ? visible(state, JSON.stringify(key)) : undefined;
        },
        mutate(table, key, change, send, { onRollback: callback } = {}) {
            const name = qualifiedTable(table);
            const state = tableState(name);
            const column = keyColumn(name);
            const id = JSON.stringify(key);
            const current = visible(state, id);
            let row;
            let fields;
            if (change === null) {
                row = deleted;
                fields = [];
            } else if (typeof change === "function") {
                row = change(current);
                fields = Object.keys(row);
            } else {
                row = { ...(current ?? {}), ...change, [column]: key };
                fields = Object.keys(change);
            }
            const overlay = { row, fields, sent: false, callback };
            state.overlays.set(id, overlay);
            state.cache = null;
            notify({ table: name, op: "mutate", key, row: row === deleted ? null : row });
            return (async () => {
                try {
                    await send(row === deleted ? null : row);
                } catch (error) {
                    rollback(name, state, id, overlay, "failed", error, callback);
                    return false;
                }
                // From now on the next event for the row decides: ours confirms, another's
                // contradicts. One that came while the write was under way may predate ours.
                overlay.sent = true;
                return true;
            })();
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
        // The item's key makes a retry of a publish whose answer was lost a repeat, not a copy.
        const headers = { "Content-Type": "application/json", "Idempotency-Key": item.key };
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
        if (response.status === 201 || response.status === 200) {
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
