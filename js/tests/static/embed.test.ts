// The exported page's script (`nbconvert --to chatkit`): a chat, which needs its kernel, is a
// plain note in the page rather than a blank left to html-manager and its CDNs.
import { describe, expect, it } from "vitest";
import { CHAT_NOTE, embed } from "../../src/static/embed";

const VIEW = "application/vnd.jupyter.widget-view+json";

function page(models: Record<string, unknown>, shown: string[]): HTMLElement[] {
  document.body.innerHTML = "";
  const state = document.createElement("script");
  state.type = "application/vnd.jupyter.widget-state+json";
  state.textContent = JSON.stringify({ version_major: 2, version_minor: 0, state: models });
  document.body.append(state);
  return shown.map((id) => {
    const output = document.createElement("div");
    const script = document.createElement("script");
    script.type = VIEW;
    script.textContent = JSON.stringify({ model_id: id, version_major: 2, version_minor: 0 });
    output.append(script);
    document.body.append(output);
    return output;
  });
}

describe("embed", () => {
  it("shows a chat as a note and leaves other widgets to html-manager", () => {
    const [chat, other] = page(
      {
        c1: { model_name: "AnyModel", state: { _anywidget_id: "chatkit_jupyter.widget._chat.ChatKitWidget", _esm: "x" } },
        s1: { model_name: "IntSliderModel", state: {} },
      },
      ["c1", "s1"],
    );
    embed();
    expect(chat.querySelector("[role=note]")?.textContent).toBe(CHAT_NOTE);
    expect(chat.querySelector("script")?.type).not.toBe(VIEW);
    expect(other.querySelector("script")?.type).toBe(VIEW);
    expect(other.querySelector("[role=note]")).toBeNull();
  });
});
