// Types of tidings.js. Checked with `tsc --strict` (see tsconfig.json and test/types.ts).

/** A row as the gateway sends it: the table's `columns`, as JSON. */
export type Row = { readonly [column: string]: unknown };

/** The `data` of a row event (`TABLE.insert`, `.update`, `.delete`, `.truncate`). */
export interface RowEventData {
    id: number;
    topics?: string[];
    table: string;
    op: "insert" | "update" | "delete" | "truncate";
    new?: Row;
    old?: Row;
    /** Set on a delete that only means "the row left your view" (an update moved it). */
    moved?: boolean;
    at: string;
}

/** One event as `onEvent` and `on()` listeners receive it. */
export interface TidingsEvent<D = unknown> {
    /** The change-log id; null for a channel event (live only). */
    id: number | null;
    /** The SSE event name: `todos.update`, a publish name, a channel name. */
    event: string;
    /** The parsed JSON `data`. */
    data: D;
}

export interface StreamError {
    /** "reconnecting" (a stream ended; reopening), "closed" (refused or unreachable; backing off),
     * "token" (getToken failed), "load" (a `/rows` request failed). */
    reason: "reconnecting" | "closed" | "token" | "load";
    retrying: boolean;
    /** The HTTP status that refused the stream or load, when there was one. */
    status?: number;
    /** What `send` threw (reason "failed"). */
    error?: unknown;
}

export interface SubscribeOptions {
    /** The gateway's origin; "" (default) is this page's. */
    url?: string;
    /** Selectors to follow, at least one. */
    topics: string[];
    /** A JWT, sent as `Authorization: Bearer` (the fetch transport). */
    token?: string | null;
    /** Called for a token when none is given, after expiry and after a 401. */
    getToken?: (() => Promise<string>) | null;
    /** Captured tables: `"todos"` or `"sales.orders"`. With `store`, each is loaded through `/rows`. */
    tables?: string[];
    /** Other event names to receive (publish names, channel names). */
    events?: string[];
    /** Where loaded rows and row events go; the subscription then loads and reloads by itself. */
    store?: Store | null;
    onEvent?: (event: TidingsEvent) => void;
    onReset?: (reset: { after: number; oldest: number }) => void;
    onExpired?: (expired: { reason: string }) => void;
    onOpen?: () => void;
    onError?: (error: StreamError) => void;
    /** After every (re)load of the tables, with the cursor the stream starts from. */
    onLoad?: (load: { tables: string[]; cursor: number }) => void;
    /** Resume after this id on first open (without `store`). */
    lastEventId?: number | null;
    /** Keep the last id in sessionStorage under this key (without `store`). */
    storageKey?: string | null;
    /** Send cookies cross-origin (the `tidings_token` cookie). */
    withCredentials?: boolean;
    /** Backoff bounds in ms. */
    minDelay?: number;
    maxDelay?: number;
}

export interface Subscription {
    /** Adds a listener for an event name; returns a function that removes it. */
    on<D = unknown>(name: string, listener: (event: TidingsEvent<D>) => void): () => void;
    close(): void;
    readonly lastEventId: number | null;
}

export function subscribe(options: SubscribeOptions): Subscription;

/** What a store's observers are told after each change. */
export interface StoreChange {
    table: string | null;
    op: "insert" | "update" | "delete" | "truncate" | "load" | "clear" | "mutate" | "rollback";
    key: unknown;
    row: Row | null | undefined;
}

/** Why an optimistic change was taken back, and the server's row as the store has it. */
export interface Rollback<R extends Row = Row> {
    table: string;
    key: unknown;
    /** The row from the snapshot or the last event (null: it has none); after a failed `send`
     * it can predate the write that won, which the stream brings next. */
    row: R | null;
    /** The row the change would have made; null for a delete. */
    attempted: R | null;
    /** "failed": `send` threw; "superseded": an event showed another change won. */
    reason: "failed" | "superseded";
    error?: unknown;
}

export interface StoreOptions {
    /** Key column per table, e.g. `{"public.todos": "id"}`; default "id". */
    keys?: Record<string, string>;
    /** Told about every rollback that has no callback of its own. */
    onRollback?: (rollback: Rollback) => void;
}

export interface Store {
    /** Applies a row event; returns whether anything changed. */
    apply(event: TidingsEvent | { id?: number | null; data: unknown }): boolean;
    /** Replaces a table with a snapshot consistent with change-log id `asOf`. */
    load(table: string, rows: Row[], asOf: number): void;
    /** The rows sorted by key, optimistic changes included: the same array until the table changes. */
    rows<R extends Row = Row>(table: string): readonly R[];
    get<R extends Row = Row>(table: string, key: unknown): R | undefined;
    /**
     * Shows `change` at once (fields to set, a function of the current row, or null to delete),
     * calls `send` (the application's own write; it must throw when the write did not happen,
     * e.g. on a 409), and keeps the change until an event confirms it, or rolls it back.
     * Resolves true when `send` returned, false when it threw.
     */
    mutate<R extends Row = Row>(
        table: string,
        key: unknown,
        change: Partial<R> | ((current: R | undefined) => R) | null,
        send: (row: R | null) => unknown | Promise<unknown>,
        options?: { onRollback?: (rollback: Rollback<R>) => void }
    ): Promise<boolean>;
    subscribe(observer: (change: StoreChange) => void): () => void;
    clear(): void;
}

export function createStore(options?: StoreOptions): Store;

/** A publish the gateway refused (4xx). */
export class PublishError extends Error {
    constructor(status: number, code: string, detail: string);
    status: number;
    code: string;
    detail: string;
}

export interface PublishItem {
    /** The item's own id, sent as `Idempotency-Key`. */
    key: string;
    topics: string[];
    event: string;
    data: unknown;
}

export interface PublisherOptions {
    url?: string;
    token?: string | null;
    getToken?: (() => Promise<string>) | null;
    /** sessionStorage key of the queue; null keeps it in memory only. Default "tidings.outbox". */
    storageKey?: string | null;
    minDelay?: number;
    maxDelay?: number;
    onDelivered?: (item: PublishItem, id: number | null) => void;
    onRejected?: (item: PublishItem, error: PublishError) => void;
    onRetry?: (item: PublishItem, delay: number) => void;
    withCredentials?: boolean;
}

export interface Publisher {
    /** Resolves with the committed change-log id. */
    publish(topics: string[], event: string, data?: unknown): Promise<number | null>;
    pending(): number;
    flush(): void;
    close(): void;
}

export function createPublisher(options?: PublisherOptions): Publisher;

/** One parsed SSE event, or a `retry:` (event and data null). */
export interface SSEEvent {
    event: string | null;
    data: string | null;
    /** The stream's last event id so far. */
    id: string;
    retry: number | null;
}

export interface SSEParser {
    feed(chunk: string): void;
    end(): void;
}

export function createSSEParser(onEvent: (event: SSEEvent) => void): SSEParser;
