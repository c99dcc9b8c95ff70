// The loader's stylesheets: in the page's <head>, and in each shadow root a view is drawn in
// (marimo draws every anywidget inside one, where the <head> does not reach).
import { describe, expect, it } from "vitest";
import { addStyle, adoptStyles } from "../src/loader";

function shadowView(): { root: ShadowRoot; el: HTMLElement } {
  const host = document.createElement("marimo-anywidget");
  document.body.append(host);
  const root = host.attachShadow({ mode: "open" });
  const el = document.createElement("div");
  root.append(el);
  return { root, el };
}

const styles = (parent: ParentNode) => [...parent.querySelectorAll("style[data-chatkit-jupyter]")].map((s) => s.textContent);

describe("loader styles", () => {
  it("reach views in shadow roots, for code loaded before and after the view", () => {
    addStyle("h1", ".a{color:red}");
    const { root, el } = shadowView();
    adoptStyles(el);
    expect(styles(root)).toEqual([".a{color:red}"]);
    addStyle("h2", ".b{color:blue}"); // a part loaded later (markdown)
    expect(styles(root)).toEqual([".a{color:red}", ".b{color:blue}"]);
    // Once each, in the page too.
    addStyle("h1", ".a{color:red}");
    adoptStyles(el);
    expect(styles(root)).toEqual([".a{color:red}", ".b{color:blue}"]);
    expect(styles(document.head)).toEqual([".a{color:red}", ".b{color:blue}"]);
  });

  it("leave a view in the page itself to the <head>", () => {
    const el = document.createElement("div");
    document.body.append(el);
    adoptStyles(el);
    expect(styles(document.body)).toEqual([]);
  });
});
