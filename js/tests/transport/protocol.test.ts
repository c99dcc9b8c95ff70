/// <reference types="node" />
// The field table the Python side compares with its TypedDicts: it must parse as JSON exactly as
// tests/test_protocol.py reads it, list every kind once with sorted fields, and name every field
// the bridge really sends.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

import { Bridge, type CommModel } from "../../src/transport/bridge";
import * as p from "../../src/transport/protocol";

const here = path.dirname(fileURLToPath(import.meta.url));
const source = readFileSync(path.join(here, "../../src/transport/protocol.ts"), "utf8");

/** The block between the markers, read the way a parser in another language would. */
function tableFromSource(): unknown {
  const block = /\/\/ <protocol-fields>\n([\s\S]*?)\n\/\/ <\/protocol-fields>/.exec(source);
  expect(block, "the // <protocol-fields> markers are missing").not.toBeNull();
  const literal = /^export const PROTOCOL_FIELDS = (\{[\s\S]*\}) as const;$/.exec(block![1].trim());
  expect(literal, "the block holds more than `export const PROTOCOL_FIELDS = {...} as const;`").not.toBeNull();
  return JSON.parse(literal![1]);
}

describe("PROTOCOL_FIELDS", () => {
  it("is JSON between the markers and equals the exported table", () => {
    expect(tableFromSource()).toEqual(p.PROTOCOL_FIELDS);
  });

  it("names every kind of each direction once, with sorted fields including kind", () => {
    expect(Object.keys(p.PROTOCOL_FIELDS.frontend).sort()).toEqual([...p.FROM_FRONTEND].sort());
    expect(Object.keys(p.PROTOCOL_FIELDS.kernel).sort()).toEqual([...p.FROM_KERNEL].sort());
    for (const table of [p.PROTOCOL_FIELDS.frontend, p.PROTOCOL_FIELDS.kernel]) {
      for (const [kind, fields] of Object.entries(table)) {
        expect(fields, kind).toEqual([...fields].sort());
        expect(fields, kind).toContain("kind");
      }
    }
  });

  it("covers every field of every message the bridge sends", async () => {
    const sent: Record<string, unknown>[] = [];
    let deliver: ((msg: unknown, buffers: DataView[]) => void) | undefined;
    const model: CommModel = {
      send: (content) => void sent.push(content as Record<string, unknown>),
      on: (_event, cb) => {
        deliver = cb;
      },
      off: () => undefined,
    };
    const bridge = new Bridge(model, { uploadChunkBytes: 2 });
    const abort = new AbortController();
    void bridge.fetch(p.API_URL, { method: "POST", body: "{}", signal: abort.signal }).catch(() => undefined);
    const form = new FormData();
    form.append("file", new Blob(["abc"], { type: "text/plain" }), "a.txt");
    void bridge.fetch(`${p.UPLOAD_URL}/att_1`, { method: "POST", body: form }).catch(() => undefined);
    void bridge.call(p.HOOK_ACTION, { action: { type: "x" } }).catch(() => undefined);
    bridge.onCommand(async () => ({ shown: true }));
    deliver?.({ kind: p.COMMAND, id: "k1", view: bridge.view, name: p.COMMAND_FOCUS_COMPOSER, args: [] }, []);
    bridge.onCommand(async () => {
      throw new Error("no");
    });
    deliver?.({ kind: p.COMMAND, id: "k2", view: bridge.view, name: p.COMMAND_FOCUS_COMPOSER, args: [] }, []);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const streaming = sent.find((m) => m.kind === p.REQUEST);
    deliver?.({ kind: p.BEAT, id: streaming?.id, sent: 0 }, []);
    abort.abort();
    bridge.close();
    const table = p.PROTOCOL_FIELDS.frontend as Record<string, readonly string[]>;
    expect(new Set(sent.map((m) => m.kind))).toEqual(new Set(p.FROM_FRONTEND));
    for (const message of sent) {
      const fields = table[String(message.kind)];
      for (const key of Object.keys(message)) expect(fields, `${String(message.kind)} sends ${key}`).toContain(key);
    }
  });
});
