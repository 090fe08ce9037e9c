import assert from "node:assert/strict";
import { test } from "node:test";
import { createSSEParser } from "../tidings.js";

const parse = (chunks) => {
    const events = [];
    const parser = createSSEParser((event) => events.push(event));
    for (const chunk of chunks) parser.feed(chunk);
    return events;
};

test("events split across chunks are put together, with id, name and retry", () => {
    const events = parse(["retry: 2000\n\nid: 4", "2\nevent: todos.upd", "ate\ndata: {\"a\":1}\n", "\n: heartbeat\n\n"]);
    assert.deepEqual(events, [
        { event: null, data: null, id: "", retry: 2000 },
        { event: "todos.update", data: '{"a":1}', id: "42", retry: null },
    ]);
});

test("CRLF and CR line ends, multi-line data and an event without id keep the last id", () => {
    const events = parse(["id: 7\r\ndata: one\r\ndata: two\r\n\r", "\nevent: alerts\rdata: x\r\r"]);
    assert.deepEqual(events, [
        { event: "message", data: "one\ntwo", id: "7", retry: null },
        { event: "alerts", data: "x", id: "7", retry: null },
    ]);
});

test("a comment, an unknown field and a bad retry dispatch nothing", () => {
    assert.deepEqual(parse([": hi\nfoo: bar\nretry: soon\n\n"]), []);
});
