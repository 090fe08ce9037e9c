import assert from "node:assert/strict";
import { test } from "node:test";
import { createStore } from "../tidings.js";

const event = (id, op, fields) => ({ id, event: `todos.${op}`, data: { id, table: "public.todos", op, ...fields } });

test("rows() returns the same array until its table changes", () => {
    const store = createStore();
    assert.equal(store.rows("todos"), store.rows("todos"));
    store.load("todos", [{ id: 2, title: "b" }, { id: 1, title: "a" }], 10);
    const first = store.rows("todos");
    assert.deepEqual(first, [{ id: 1, title: "a" }, { id: 2, title: "b" }]);
    assert.equal(store.rows("todos"), first);
    store.apply(event(11, "insert", { new: { id: 3, title: "c" } }));
    const second = store.rows("todos");
    assert.notEqual(second, first);
    assert.equal(store.rows("todos"), second);
    assert.ok(Object.isFrozen(second));
    assert.equal(store.apply(event(11, "update", { new: { id: 3, title: "again" } })), false);
    assert.equal(store.rows("todos"), second);
});

test("events at or below a load's cursor are ignored; newer ones apply", () => {
    const store = createStore();
    store.load("todos", [{ id: 1, title: "a" }], 20);
    assert.equal(store.apply(event(15, "update", { new: { id: 1, title: "old" } })), false);
    assert.equal(store.apply(event(21, "update", { new: { id: 1, title: "new" } })), true);
    assert.deepEqual(store.rows("todos"), [{ id: 1, title: "new" }]);
});

test("a moved row's delete and a truncate empty what they name", () => {
    const store = createStore();
    store.load("todos", [{ id: 1 }, { id: 2 }, { id: 3 }], 1);
    store.apply(event(2, "delete", { old: { id: 2 }, moved: true }));
    assert.deepEqual(store.rows("todos").map((row) => row.id), [1, 3]);
    store.apply({ id: 3, event: "todos.truncate", data: { id: 3, table: "public.todos", op: "truncate" } });
    assert.deepEqual(store.rows("todos"), []);
    assert.equal(store.apply(event(3, "insert", { new: { id: 9 } })), false);
    store.apply(event(4, "insert", { new: { id: 9 } }));
    assert.deepEqual(store.rows("todos"), [{ id: 9 }]);
});

test("mutate shows the change at once and keeps it until the event confirms it", async () => {
    const store = createStore();
    store.load("todos", [{ id: 1, done: false, version: 1 }], 5);
    const rollbacks = [];
    const sent = store.mutate("todos", 1, { done: true }, async (row) => assert.equal(row.done, true), {
        onRollback: (notice) => rollbacks.push(notice),
    });
    assert.equal(store.get("todos", 1).done, true);
    assert.equal(await sent, true);
    assert.equal(store.rows("todos")[0].done, true);
    store.apply(event(6, "update", { new: { id: 1, done: true, version: 2 } }));
    assert.deepEqual(store.rows("todos"), [{ id: 1, done: true, version: 2 }]);
    assert.deepEqual(rollbacks, []);
});

test("mutate rolls back with the server's row when send throws", async () => {
    const store = createStore();
    store.load("todos", [{ id: 1, done: false }], 5);
    const rollbacks = [];
    const conflict = new Error("409");
    const sent = store.mutate("todos", 1, { done: true }, async () => {
        throw conflict;
    }, { onRollback: (notice) => rollbacks.push(notice) });
    assert.equal(store.get("todos", 1).done, true);
    assert.equal(await sent, false);
    assert.deepEqual(store.rows("todos"), [{ id: 1, done: false }]);
    assert.equal(rollbacks.length, 1);
    assert.equal(rollbacks[0].reason, "failed");
    assert.equal(rollbacks[0].error, conflict);
    assert.deepEqual(rollbacks[0].row, { id: 1, done: false });
    assert.deepEqual(rollbacks[0].attempted, { id: 1, done: true });
});

test("after send returns, an event showing another change won rolls the overlay back", async () => {
    const rollbacks = [];
    const store = createStore({ onRollback: (notice) => rollbacks.push(notice) });
    store.load("todos", [{ id: 1, title: "mine?" }], 5);
    await store.mutate("todos", 1, { title: "mine" }, async () => {});
    assert.equal(store.get("todos", 1).title, "mine");
    store.apply(event(7, "update", { new: { id: 1, title: "theirs" } }));
    assert.equal(store.get("todos", 1).title, "theirs");
    assert.equal(rollbacks.length, 1);
    assert.equal(rollbacks[0].reason, "superseded");
    assert.deepEqual(rollbacks[0].row, { id: 1, title: "theirs" });
});

test("an optimistic delete hides the row until the delete event confirms it", async () => {
    const store = createStore();
    store.load("todos", [{ id: 1 }, { id: 2 }], 5);
    await store.mutate("todos", 2, null, async (row) => assert.equal(row, null));
    assert.deepEqual(store.rows("todos"), [{ id: 1 }]);
    store.apply(event(6, "delete", { old: { id: 2 } }));
    assert.deepEqual(store.rows("todos"), [{ id: 1 }]);
});

test("an overlay an event confirms while send is under way goes quietly, even when send then fails", async () => {
    const rollbacks = [];
    const store = createStore({ onRollback: (notice) => rollbacks.push(notice) });
    store.load("todos", [{ id: 1, done: false, version: 1 }], 5);
    let refuse;
    const sent = store.mutate("todos", 1, { done: true }, () => new Promise((_, reject) => { refuse = reject; }));
    // Another tab's write set the same value first; ours is refused (409) afterwards.
    store.apply(event(6, "update", { new: { id: 1, done: true, version: 2 } }));
    refuse(new Error("409"));
    assert.equal(await sent, false);
    assert.equal(rollbacks.length, 0);
    assert.deepEqual(store.rows("todos"), [{ id: 1, done: true, version: 2 }]);
});

test("a truncate rolls back every optimistic change of its table", async () => {
    const rollbacks = [];
    const store = createStore({ onRollback: (notice) => rollbacks.push(notice) });
    store.load("todos", [{ id: 1, done: false }], 5);
    store.mutate("todos", 1, { done: true }, () => new Promise(() => {}));
    store.mutate("todos", 2, { done: true }, () => new Promise(() => {}));
    store.apply({ id: 6, event: "todos.truncate", data: { id: 6, table: "public.todos", op: "truncate" } });
    assert.deepEqual(store.rows("todos"), []);
    assert.deepEqual(rollbacks.map((notice) => [notice.key, notice.reason, notice.row]), [[1, "superseded", null], [2, "superseded", null]]);
});
