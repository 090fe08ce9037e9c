// Compiled by `tsc --strict` (tsconfig.json) only to check that the declarations hold together
// and read as intended; never run.
import { createPublisher, createSSEParser, createStore, subscribe, type Rollback } from "../tidings.js";
import { useRows } from "../react.js";

interface Todo {
    readonly [column: string]: unknown;
    id: number;
    title: string;
    done: boolean;
    version: number;
}

const store = createStore({ keys: { "public.todos": "id" }, onRollback: (rollback: Rollback) => console.log(rollback.reason) });
const subscription = subscribe({ topics: ["todos/**"], tables: ["todos"], store, token: "t", onLoad: ({ cursor }) => console.log(cursor) });
subscription.on<{ id: number }>("chat.message", (event) => console.log(event.data.id));
subscription.close();
const rows: readonly Todo[] = store.rows<Todo>("todos");
const sent: Promise<boolean> = store.mutate<Todo>("todos", 1, { done: true }, async (row) => {
    if (row === null) throw new Error("not a delete");
    return fetch("/todos/1", { method: "PATCH", body: JSON.stringify({ done: row.done, version: row.version }) });
});
const publisher = createPublisher({ token: "t", onDelivered: (item, id) => console.log(item.key, id) });
const id: Promise<number | null> = publisher.publish(["chat/1"], "message", { text: "hi" });
createSSEParser((event) => console.log(event.retry ?? event.data)).feed("data: x\n\n");
const fromHook: readonly Todo[] = useRows<Todo>(store, "todos");
console.log(rows, sent, id, fromHook);
