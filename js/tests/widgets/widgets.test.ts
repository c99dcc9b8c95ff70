/// <reference types="node" />
// The ChatKit widget renderer, driven as a user would: find controls by role and accessible name,
// click and type, and check what the host receives.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ArrowUpRight } from "lucide";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type ActionConfig,
  addIconSource,
  appendStreamingText,
  CHATKIT_ICONS,
  renderWidget,
  setWidgetColorScheme,
  updateComponent,
  updateWidget,
  type WidgetComponent,
  type WidgetHost,
  type WidgetRoot,
} from "../../src/widgets";
import { iconNode } from "../../src/widgets/icons";
import { PALETTE, radius, resolveColor, spacing } from "../../src/widgets/tokens";

// --- a small accessibility query kit ---------------------------------------------------------

function roleOf(el: Element): string | null {
  const explicit = el.getAttribute("role");
  if (explicit) return explicit;
  const tag = el.tagName.toLowerCase();
  if (tag === "input") {
    const type = (el as HTMLInputElement).type;
    if (type === "checkbox" || type === "radio") return type;
    if (type === "number") return "spinbutton";
    if (type === "date") return "date";
    return "textbox";
  }
  const roles: Record<string, string> = {
    button: "button",
    select: "combobox",
    textarea: "textbox",
    ul: "list",
    ol: "list",
    li: "listitem",
    hr: "separator",
    table: "table",
    tr: "row",
    th: "columnheader",
    td: "cell",
    p: "paragraph",
    h1: "heading",
    h2: "heading",
    h3: "heading",
    h4: "heading",
    h5: "heading",
    h6: "heading",
  };
  if (tag === "a") return el.hasAttribute("href") ? "link" : null;
  if (tag === "img") return (el as HTMLImageElement).alt === "" ? "presentation" : "img";
  return roles[tag] ?? null;
}

function text(el: Element | null | undefined): string {
  return (el?.textContent ?? "").replace(/\s+/g, " ").trim();
}

function nameOf(el: Element): string {
  const labelledby = el.getAttribute("aria-labelledby");
  if (labelledby)
    return labelledby
      .split(/\s+/)
      .map((id) => text(el.ownerDocument.getElementById(id)))
      .join(" ");
  const aria = el.getAttribute("aria-label");
  if (aria) return aria.trim();
  if (el.tagName === "IMG") return (el as HTMLImageElement).alt;
  if (/^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
    const id = el.id;
    const byFor = id
      ? (el.ownerDocument.querySelector(`label[for="${id}"]`) ?? el.closest("div,form,body")?.querySelector(`label[for="${id}"]`))
      : null;
    if (byFor) return text(byFor);
    const wrapping = el.closest("label");
    if (wrapping) return text(wrapping);
    return "";
  }
  return text(el);
}

function isHidden(el: Element): boolean {
  return el.closest("[hidden], [aria-hidden=true]") !== null;
}

function allByRole(root: Element, role: string, name?: string | RegExp): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>("*")).filter((el) => {
    if (roleOf(el) !== role || isHidden(el)) return false;
    if (name === undefined) return true;
    const n = nameOf(el);
    return typeof name === "string" ? n === name : name.test(n);
  });
}

function byRole<T extends HTMLElement = HTMLElement>(root: Element, role: string, name?: string | RegExp): T {
  const found = allByRole(root, role, name);
  if (found.length !== 1) {
    const all = allByRole(root, role).map((e) => JSON.stringify(nameOf(e)));
    throw new Error(`expected one ${role} named ${String(name)}, found ${found.length}; ${role}s: ${all.join(", ")}`);
  }
  return found[0] as T;
}

function type(input: HTMLInputElement | HTMLTextAreaElement, value: string): void {
  input.focus();
  input.value = value;
  input.dispatchEvent(new Event("input", { bubbles: true }));
  input.dispatchEvent(new Event("change", { bubbles: true }));
}

function choose(select: HTMLSelectElement, value: string): void {
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
}

const flush = () => new Promise((r) => setTimeout(r, 0));

type Call = { action: ActionConfig; meta: { formData?: Record<string, unknown>; source: HTMLElement } };

function makeHost(onAction?: (action: ActionConfig) => Promise<void> | void, colorScheme: "light" | "dark" = "light") {
  const calls: Call[] = [];
  const host: WidgetHost = {
    colorScheme,
    onAction: (action, meta) => {
      calls.push({ action, meta });
      return onAction?.(action);
    },
  };
  return { host, calls };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function mount(root: WidgetRoot | Record<string, unknown>, host: WidgetHost = makeHost().host): HTMLElement {
  const el = renderWidget(root as WidgetRoot, host);
  document.body.append(el);
  return el;
}

function basic(...children: unknown[]): WidgetRoot {
  return { type: "Basic", children } as WidgetRoot;
}

afterEach(() => {
  document.body.replaceChildren();
  vi.restoreAllMocks();
});

// --- roots -----------------------------------------------------------------------------------

describe("roots", () => {
  it("renders a Card with status, body and confirm/cancel actions", async () => {
    const { host, calls } = makeHost();
    const el = mount(
      {
        type: "Card",
        size: "sm",
        status: { text: "Found 3 flights", icon: "search" },
        confirm: { label: "Book", action: { type: "book", payload: { id: 7 } } },
        cancel: { label: "Not now", action: { type: "dismiss" } },
        children: [{ type: "Title", value: "Flights" }],
      },
      host,
    );
    expect(el.classList.contains("ckw-root")).toBe(true);
    expect(el.getAttribute("data-color-scheme")).toBe("light");
    expect(text(el.querySelector(".ckw-status"))).toBe("Found 3 flights");
    expect(el.querySelector(".ckw-status svg")?.getAttribute("data-icon")).toBe("search");
    expect(byRole(el, "heading", "Flights")).toBeTruthy();
    expect(el.querySelector(".ckw-card")?.classList.contains("ckw-card--sm")).toBe(true);
    byRole(el, "button", "Book").click();
    expect(calls[0]!.action).toEqual({ type: "book", payload: { id: 7 } });
    await flush();
    byRole(el, "button", "Not now").click();
    expect(calls[1]!.action.type).toBe("dismiss");
  });

  it("renders a Basic root with direction, gap and nested roots", () => {
    const el = mount({
      type: "Basic",
      direction: "row",
      gap: 2,
      children: [
        { type: "Card", children: [{ type: "Text", value: "inside a card" }] },
        { type: "Text", value: "beside" },
      ],
    });
    const basicEl = el.querySelector(".ckw-basic") as HTMLElement;
    expect(basicEl.classList.contains("ckw-box--row")).toBe(true);
    expect(basicEl.style.gap).toBe("calc(var(--ckw-space, 4px) * 2)");
    expect(basicEl.querySelector(".ckw-card")?.textContent).toBe("inside a card");
  });

  it("hides a collapsed card's body behind a disclosure button", () => {
    const el = mount({ type: "Card", collapsed: true, children: [{ type: "Text", value: "details" }] });
    const toggle = byRole(el, "button", "Show details");
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(allByRole(el, "paragraph", "details")).toHaveLength(0);
    toggle.click();
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(byRole(el, "paragraph", "details")).toBeTruthy();
  });

  it("never throws on malformed input", () => {
    for (const bad of [
      null,
      42,
      "x",
      [],
      {},
      { type: "Card" },
      { type: "Card", children: "nope" },
      { type: "ListView", children: [null, 3, { type: "ListViewItem" }] },
    ]) {
      expect(() => renderWidget(bad as unknown as WidgetRoot, makeHost().host)).not.toThrow();
    }
  });

  it("renders unknown component types as a visible placeholder naming the type", () => {
    const el = mount(basic({ type: "Hologram", value: "x" }, { type: "Text", value: "still here" }));
    const note = byRole(el, "note");
    expect(text(note)).toContain("Hologram");
    expect(byRole(el, "paragraph", "still here")).toBeTruthy();
  });
});

// --- components --------------------------------------------------------------------------------

describe("text components", () => {
  it("renders Title, Caption and Text with sizes, weights and text props", () => {
    const el = mount(
      basic(
        { type: "Title", value: "Big", size: "2xl", weight: "bold", textAlign: "center" },
        { type: "Caption", value: "Small print", size: "sm" },
        { type: "Text", value: "Body", size: "lg", italic: true, lineThrough: true, truncate: true },
        { type: "Text", value: "Clamped", maxLines: 2, minLines: 1, color: "secondary" },
      ),
    );
    const title = byRole(el, "heading", "Big");
    expect(title.className).toContain("ckw-title--2xl");
    expect(title.className).toContain("ckw-weight-bold");
    expect(title.style.textAlign).toBe("center");
    expect(byRole(el, "paragraph", "Small print").className).toContain("ckw-caption--sm");
    const body = byRole(el, "paragraph", "Body");
    expect(body.className).toMatch(/ckw-text--lg.*ckw-truncate.*ckw-italic.*ckw-line-through/);
    const clamped = byRole(el, "paragraph", "Clamped");
    expect(clamped.classList.contains("ckw-clamp")).toBe(true);
    expect(clamped.style.getPropertyValue("--ckw-max-lines")).toBe("2");
    expect(clamped.style.color).toBe("var(--ckw-text-secondary)");
  });

  it("renders editable Text as a named text field", () => {
    const el = mount(basic({ type: "Text", value: "Buy milk", editable: { name: "title", placeholder: "Title", required: true } }));
    const input = byRole<HTMLInputElement>(el, "textbox", "Title");
    expect(input.name).toBe("title");
    expect(input.value).toBe("Buy milk");
    expect(input.required).toBe(true);
  });

  it("renders Markdown as sanitized HTML", () => {
    const el = mount(basic({ type: "Markdown", value: "**Next week** see [docs](https://example.com)" }));
    const md = el.querySelector(".ckw-markdown")!;
    expect(text(md.querySelector("strong"))).toBe("Next week");
    const link = byRole<HTMLAnchorElement>(el, "link", "docs");
    expect(link.getAttribute("target")).toBe("_blank");
    expect(link.getAttribute("rel")).toBe("noopener noreferrer");
  });

  it("renders Badge with colour, variant and pill", () => {
    const el = mount(basic({ type: "Badge", label: "Paid", color: "success", variant: "solid", pill: true, size: "lg" }));
    const badge = el.querySelector(".ckw-badge")!;
    expect(text(badge)).toBe("Paid");
    expect(badge.className).toBe("ckw-badge ckw-badge--success ckw-badge--solid ckw-badge--lg ckw-pill");
  });
});

describe("icons", () => {
  it("maps every ChatKit icon name (from @openai/chatkit's types) to a lucide icon", () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const dts = readFileSync(path.join(here, "../../node_modules/@openai/chatkit/types/widgets.d.ts"), "utf8");
    const block = dts.slice(dts.indexOf("export type WidgetIcon"));
    const names = [...block.matchAll(/\|\s*'([a-z0-9-]+)'/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(50);
    for (const name of [...names, "clock"]) {
      expect(CHATKIT_ICONS[name], name).toBeTruthy();
      expect(iconNode(name), name).toBeTruthy();
    }
  });

  it("renders Icon as decorative SVG from lucide; a standalone view has only the bundled lucide: icons", () => {
    const el = mount(
      basic(
        { type: "Icon", name: "check", size: "3xl", color: "white" },
        { type: "Icon", name: "lucide:chevron-down" },
        { type: "Icon", name: "lucide:arrow-up-right" },
        { type: "Icon", name: "vendor:acme" },
      ),
    );
    const [check, chevron, arrow, vendor] = Array.from(el.querySelectorAll("svg"));
    expect(check!.getAttribute("aria-hidden")).toBe("true");
    expect(check!.getAttribute("class")).toContain("ckw-icon--3xl");
    expect(check!.querySelector("path")?.getAttribute("d")).toBe("M20 6 9 17l-5-5");
    expect(check!.style.color).toBe("white");
    expect(chevron!.querySelector("path")?.getAttribute("d")).toBe("m6 9 6 6 6-6");
    // Not one of the icons ChatKit widget names use, and nothing has registered the rest of lucide.
    expect(arrow!.getAttribute("class")).toContain("ckw-icon--missing");
    expect(arrow!.children.length).toBe(0);
    expect(vendor!.getAttribute("class")).toContain("ckw-icon--missing");
  });

  it("asks the kernel for lucide: icons it lacks, once, and fills the drawn placeholders in place", async () => {
    // The kernel's side is lucide-icons.json (test_icons.py); here, lucide's own nodes.
    const asked: string[][] = [];
    let answer: (icons: unknown) => void = () => undefined;
    const remove = addIconSource((names) => {
      asked.push(names);
      return new Promise((resolve) => {
        answer = resolve;
      });
    });
    try {
      const tree = basic(
        { type: "Icon", name: "lucide:arrow-up-right" },
        { type: "Icon", name: "lucide:arrow-up-right" },
        { type: "Icon", name: "lucide:no-such-icon" },
      );
      const el = mount(tree);
      const [first, second, bogus] = Array.from(el.querySelectorAll("svg"));
      for (const svg of [first!, second!, bogus!]) expect(svg.getAttribute("class")).toContain("ckw-icon--missing");
      await Promise.resolve();
      expect(asked).toEqual([["lucide:arrow-up-right", "lucide:no-such-icon"]]);
      mount(tree); // drawn again before the answer: not asked twice
      await Promise.resolve();
      expect(asked).toHaveLength(1);

      answer({ "lucide:arrow-up-right": ArrowUpRight });
      await new Promise((resolve) => setTimeout(resolve, 0));
      for (const svg of [first!, second!]) {
        expect(svg.isConnected).toBe(true);
        expect(svg.getAttribute("class")).not.toContain("ckw-icon--missing");
        expect(Array.from(svg.querySelectorAll("path"), (p) => p.getAttribute("d"))).toEqual(["M7 7h10v10", "M7 17 17 7"]);
      }
      expect(bogus!.getAttribute("class")).toContain("ckw-icon--missing");

      // Kept for the page: drawn at once from now on; an unknown name is not asked again.
      const again = mount(tree);
      expect(again.querySelector("svg")!.getAttribute("class")).not.toContain("ckw-icon--missing");
      await Promise.resolve();
      expect(asked).toHaveLength(1);
    } finally {
      remove();
    }
  });
});

describe("Image", () => {
  it("renders a safe image with alt text and size", () => {
    const el = mount(basic({ type: "Image", src: "https://example.com/a.png", alt: "Avatar", size: 44, radius: "full", fit: "contain" }));
    const img = byRole<HTMLImageElement>(el, "img", "Avatar");
    expect(img.getAttribute("src")).toBe("https://example.com/a.png");
    expect(img.style.width).toBe("44px");
    expect(img.style.height).toBe("44px");
    expect(img.style.borderRadius).toBe("9999px");
    expect(img.style.objectFit).toBe("contain");
  });

  it("does not load an unsafe source", () => {
    const el = mount(basic({ type: "Image", src: "javascript:alert(1)", alt: "Bad" }));
    expect(el.querySelector("img")).toBeNull();
    expect(byRole(el, "img", "Bad").classList.contains("ckw-image--blocked")).toBe(true);
  });
});

describe("Button", () => {
  it("renders a real button with style, icons and an action", () => {
    const { host, calls } = makeHost();
    const el = mount(
      basic({
        type: "Button",
        label: "Add",
        iconStart: "plus",
        iconEnd: "chevron-right",
        color: "danger",
        variant: "outline",
        size: "lg",
        pill: true,
        block: true,
        onClickAction: { type: "add", payload: { n: 1 }, handler: "client" },
      }),
      host,
    );
    const button = byRole<HTMLButtonElement>(el, "button", "Add");
    expect(button.type).toBe("button");
    expect(button.className).toContain("ckw-button--danger");
    expect(button.className).toContain("ckw-button--outline");
    expect(button.className).toContain("ckw-control--lg");
    expect(button.className).toContain("ckw-pill");
    expect(button.className).toContain("ckw-button--block");
    expect(button.querySelectorAll("svg")).toHaveLength(2);
    button.click();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.action).toEqual({ type: "add", payload: { n: 1 }, handler: "client" });
    expect(calls[0]!.meta.source).toBe(button);
    expect(calls[0]!.meta.formData).toBeUndefined();
  });

  it("names icon-only buttons and honours disabled and style presets", () => {
    const el = mount(
      basic(
        { type: "Button", iconStart: "star", onClickAction: { type: "fav" } },
        { type: "Button", label: "Off", disabled: true },
        { type: "Button", label: "Second", style: "secondary" },
      ),
    );
    expect(byRole(el, "button", "star")).toBeTruthy();
    expect(byRole<HTMLButtonElement>(el, "button", "Off").disabled).toBe(true);
    expect(byRole(el, "button", "Second").className).toContain("ckw-button--secondary ckw-button--soft");
  });
});

describe("layout", () => {
  it("applies Box/Row/Col layout props through tokens and whitelists", () => {
    const el = mount(
      basic({
        type: "Box",
        direction: "row",
        gap: 3,
        padding: { x: 2, top: 1 },
        margin: "8px 12px",
        align: "center",
        justify: "between",
        wrap: "wrap",
        flex: 1,
        width: 200,
        minHeight: "50%",
        maxWidth: "calc(100% - 8px)",
        border: { size: 2, color: "red-500", style: "dashed" },
        radius: "lg",
        background: "orange-700",
        aspectRatio: "16 / 9",
        children: [{ type: "Text", value: "x" }],
      }),
    );
    const box = el.querySelector<HTMLElement>(".ckw-basic > .ckw-box")!;
    expect(box.classList.contains("ckw-box--row")).toBe(true);
    const s = box.style;
    expect(s.gap).toBe("calc(var(--ckw-space, 4px) * 3)");
    expect(s.paddingTop).toBe("calc(var(--ckw-space, 4px) * 1)");
    expect(s.paddingLeft).toBe("calc(var(--ckw-space, 4px) * 2)");
    expect(s.margin).toBe("8px 12px");
    expect(s.alignItems).toBe("center");
    expect(s.justifyContent).toBe("space-between");
    expect(s.flexWrap).toBe("wrap");
    expect(s.width).toBe("200px");
    expect(s.minHeight).toBe("50%");
    expect(s.maxWidth).toBe("calc(100% - 8px)");
    expect(box.getAttribute("style")).toContain("border: 2px dashed #ef4444");
    expect(s.borderRadius).toBe("var(--ckw-radius-lg)");
    expect(box.getAttribute("style")).toContain("#c2410c");
    expect(s.aspectRatio).toBe("16 / 9");
  });

  it("drops unsafe style values", () => {
    const el = mount(
      basic({
        type: "Col",
        width: "url(x)",
        gap: "expression(1)",
        background: "url(javascript:1)",
        padding: "1px;color:red",
        children: [],
      }),
    );
    const col = el.querySelector<HTMLElement>(".ckw-basic > .ckw-box")!;
    expect(col.getAttribute("style") ?? "").toBe("");
  });

  it("renders Divider, Spacer and Transition", () => {
    const el = mount(
      basic(
        { type: "Divider", flush: true, color: "strong", spacing: 2 },
        { type: "Spacer", minSize: 10 },
        { type: "Transition", children: { type: "Text", value: "animated" } },
      ),
    );
    const hr = byRole(el, "separator");
    expect(hr.classList.contains("ckw-flush")).toBe(true);
    expect(hr.style.borderTopColor).toBe("var(--ckw-border-strong)");
    const spacer = el.querySelector<HTMLElement>(".ckw-spacer")!;
    expect(spacer.getAttribute("aria-hidden")).toBe("true");
    expect(spacer.style.minWidth).toBe("10px");
    expect(text(el.querySelector(".ckw-transition"))).toBe("animated");
  });

  it("renders a Table with a header row and cells", () => {
    const el = mount(
      basic({
        type: "Table",
        children: [
          {
            type: "Table.Row",
            header: true,
            children: [
              { type: "Table.Cell", children: [{ type: "Text", value: "Name" }] },
              { type: "Table.Cell", children: [{ type: "Text", value: "Qty" }] },
            ],
          },
          {
            type: "Table.Row",
            children: [{ type: "Table.Cell", colSpan: 2, align: "end", children: [{ type: "Text", value: "Apples" }] }],
          },
        ],
      }),
    );
    byRole(el, "table");
    expect(allByRole(el, "columnheader").map((c) => text(c))).toEqual(["Name", "Qty"]);
    const cell = byRole<HTMLTableCellElement>(el, "cell", "Apples");
    expect(cell.colSpan).toBe(2);
    expect(cell.style.textAlign).toBe("end");
  });
});

// --- controls and forms ----------------------------------------------------------------------

function todoForm(extra: Record<string, unknown> = {}): WidgetRoot {
  return {
    type: "Card",
    children: [
      {
        type: "Form",
        onSubmitAction: { type: "update_todo", payload: { id: 42 } },
        children: [
          { type: "Label", value: "Title", fieldName: "todo.title" },
          { type: "Input", name: "todo.title", defaultValue: "Old", required: true },
          { type: "Label", value: "Notes", fieldName: "notes" },
          { type: "Textarea", name: "notes", rows: 4 },
          { type: "Label", value: "Priority", fieldName: "priority" },
          {
            type: "Select",
            name: "priority",
            placeholder: "Pick one",
            options: [
              { value: "low", label: "Low" },
              { value: "high", label: "High" },
            ],
          },
          { type: "Label", value: "Due", fieldName: "due" },
          { type: "DatePicker", name: "due", defaultValue: "2025-03-01T00:00:00Z", min: "2025-01-01", max: "2025-12-31" },
          { type: "Checkbox", name: "done", label: "Done", defaultChecked: false },
          {
            type: "RadioGroup",
            name: "size",
            ariaLabel: "Size",
            options: [
              { value: "s", label: "Small" },
              { value: "l", label: "Large" },
            ],
            defaultValue: "s",
          },
          { type: "Text", value: "Editable", editable: { name: "todo.tag" } },
          { type: "Button", label: "Save", submit: true },
          ...((extra.children as unknown[] | undefined) ?? []),
        ],
      },
    ],
  } as WidgetRoot;
}

describe("controls", () => {
  it("links Labels to their fields and exposes real form controls", () => {
    const el = mount(todoForm());
    const title = byRole<HTMLInputElement>(el, "textbox", "Title");
    expect(title.value).toBe("Old");
    expect(title.hasAttribute("aria-label")).toBe(false);
    expect(byRole(el, "textbox", "Notes").getAttribute("rows")).toBe("4");
    const select = byRole<HTMLSelectElement>(el, "combobox", "Priority");
    expect(Array.from(select.options).map((o) => o.textContent)).toEqual(["Pick one", "Low", "High"]);
    expect(select.value).toBe("");
    const due = el.querySelector<HTMLInputElement>("input[type=date]")!;
    expect(nameOf(due)).toBe("Due");
    expect(due.value).toBe("2025-03-01");
    expect(due.min).toBe("2025-01-01");
    expect(byRole<HTMLInputElement>(el, "checkbox", "Done").checked).toBe(false);
    const group = byRole(el, "radiogroup", "Size");
    expect(allByRole(group, "radio").map((r) => nameOf(r))).toEqual(["Small", "Large"]);
    expect(byRole<HTMLInputElement>(group, "radio", "Small").checked).toBe(true);
    expect(byRole<HTMLButtonElement>(el, "button", "Save").type).toBe("submit");
  });

  it("gives unlabelled fields a fallback name", () => {
    const el = mount(basic({ type: "Input", name: "first_name" }, { type: "Select", name: "city", placeholder: "City", options: [] }));
    expect(byRole(el, "textbox", "first name")).toBeTruthy();
    expect(byRole(el, "combobox", "City")).toBeTruthy();
  });

  it("fires onChangeAction with the control's value outside a form, without a loading state", () => {
    const { host, calls } = makeHost(() => new Promise(() => undefined));
    const el = mount(
      basic(
        {
          type: "Select",
          name: "city",
          options: [{ value: "ber", label: "Berlin" }],
          onChangeAction: { type: "pick", payload: { from: "x" } },
        },
        { type: "Checkbox", name: "agree", label: "Agree", onChangeAction: { type: "tick" } },
        {
          type: "RadioGroup",
          name: "size",
          ariaLabel: "Size",
          options: [
            { value: "s", label: "S" },
            { value: "m", label: "M" },
          ],
          onChangeAction: { type: "size" },
        },
        { type: "DatePicker", name: "when", onChangeAction: { type: "date" } },
      ),
      host,
    );
    choose(byRole(el, "combobox"), "ber");
    const agree = byRole<HTMLInputElement>(el, "checkbox", "Agree");
    agree.click();
    const medium = byRole<HTMLInputElement>(el, "radio", "M");
    medium.click();
    const date = el.querySelector<HTMLInputElement>("input[type=date]")!;
    type(date, "2025-05-05");
    expect(calls.map((c) => c.action)).toEqual([
      { type: "pick", payload: { from: "x", city: "ber" } },
      { type: "tick", payload: { agree: true } },
      { type: "size", payload: { size: "m" } },
      { type: "date", payload: { when: "2025-05-05" } },
    ]);
    expect(el.querySelector("[aria-busy]")).toBeNull();
  });
});

describe("props that are not native to the element", () => {
  it("a Textarea's pattern blocks the submit until the text matches, through redraws", async () => {
    // Before: `pattern` was dropped (a textarea has none natively) and anything was submitted.
    const { host, calls } = makeHost();
    const form = (pattern: string) =>
      basic({
        type: "Form",
        onSubmitAction: { type: "save" },
        children: [
          { type: "Textarea", name: "code", placeholder: "Code", pattern },
          { type: "Button", label: "Save", submit: true },
        ],
      });
    const el = mount(form("[A-Z]{3}-\\d+"), host);
    const code = byRole<HTMLTextAreaElement>(el, "textbox", "Code");
    expect(code.validity.valid).toBe(true); // empty is left to `required`
    type(code, "abc-1");
    expect(code.validity.valid).toBe(false);
    byRole(el, "button", "Save").click();
    expect(calls).toHaveLength(0);
    type(code, "ABC-12");
    expect(code.validity.valid).toBe(true);
    updateWidget(el, form("[a-z]+"), host); // the kept field is checked against the new pattern
    expect(byRole(el, "textbox", "Code")).toBe(code);
    expect(code.validity.valid).toBe(false);
    type(code, "abc");
    byRole(el, "button", "Save").click();
    await flush();
    expect(calls.map((c) => c.action.payload)).toEqual([{ code: "abc" }]);
  });

  it("gutterSize sets the side padding of Input and Textarea", () => {
    const el = mount(
      basic(
        { type: "Input", name: "a", placeholder: "A", size: "lg", gutterSize: "2xs" },
        { type: "Textarea", name: "b", placeholder: "B", gutterSize: "xl" },
        { type: "Input", name: "c", placeholder: "C", gutterSize: "huge" },
      ),
    );
    expect(byRole(el, "textbox", "A").classList).toContain("ckw-gutter--2xs");
    expect(byRole(el, "textbox", "B").classList).toContain("ckw-gutter--xl");
    expect(Array.from(byRole(el, "textbox", "C").classList).filter((c) => c.startsWith("ckw-gutter"))).toEqual([]);
    const css = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "../../src/widgets/widgets.css"), "utf8");
    // After the size classes, so a gutter wins over the padding a size gives.
    expect(css.indexOf(".ckw-gutter--2xs")).toBeGreaterThan(css.indexOf(".ckw-control--3xl"));
  });

  it("editable Text turns autofill off unless allowAutofillExtensions, as Input does", () => {
    const el = mount(
      basic(
        { type: "Text", value: "a", editable: { name: "a", placeholder: "A" } },
        { type: "Text", value: "b", editable: { name: "b", placeholder: "B", allowAutofillExtensions: true } },
        { type: "Text", value: "c", editable: { name: "c", placeholder: "C", autoComplete: "email" } },
      ),
    );
    expect(byRole(el, "textbox", "A").getAttribute("autocomplete")).toBe("off");
    expect(byRole(el, "textbox", "B").hasAttribute("autocomplete")).toBe(false);
    expect(byRole(el, "textbox", "C").getAttribute("autocomplete")).toBe("email");
  });
});

describe("Form", () => {
  it("collects named field values into the submit action's payload", async () => {
    const { host, calls } = makeHost();
    const el = mount(todoForm(), host);
    type(byRole(el, "textbox", "Title"), "New title");
    type(byRole(el, "textbox", "Notes"), "Some notes");
    choose(byRole(el, "combobox", "Priority"), "high");
    byRole<HTMLInputElement>(el, "checkbox", "Done").click();
    byRole<HTMLInputElement>(el, "radio", "Large").click();
    type(el.querySelector<HTMLInputElement>("input[name='todo.tag']")!, "home");
    byRole(el, "button", "Save").click();
    expect(calls).toHaveLength(1);
    const { action, meta } = calls[0]!;
    const values = {
      todo: { title: "New title", tag: "home" },
      notes: "Some notes",
      priority: "high",
      due: "2025-03-01",
      done: true,
      size: "l",
    };
    expect(action).toEqual({ type: "update_todo", payload: { id: 42, ...values } });
    expect(meta.formData).toEqual(values);
    expect(meta.source).toBe(byRole(el, "button", "Save"));
    await flush();
  });

  it("does not submit while a required field is empty", () => {
    const { host, calls } = makeHost();
    const el = mount(todoForm(), host);
    type(byRole(el, "textbox", "Title"), "");
    byRole(el, "button", "Save").click();
    expect(calls).toHaveLength(0);
  });

  it("adds form values to other actions that start inside the form, keeping payload keys", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { host, calls } = makeHost();
    const el = mount(
      basic({
        type: "Form",
        onSubmitAction: { type: "submit" },
        children: [
          { type: "Input", name: "id", defaultValue: "typed" },
          { type: "Input", name: "q", defaultValue: "hello" },
          { type: "Button", label: "Preview", onClickAction: { type: "preview", payload: { id: "fixed" } } },
        ],
      }),
      host,
    );
    byRole(el, "button", "Preview").click();
    expect(calls[0]!.action).toEqual({ type: "preview", payload: { id: "fixed", q: "hello" } });
    expect(warn).toHaveBeenCalledOnce();
  });

  it("sends a payload that is not an object as it is (chatkit's ActionConfig.payload is any JSON)", () => {
    // Before: a string or list payload was dropped and the host got none.
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { host, calls } = makeHost();
    const el = mount(
      basic(
        { type: "Button", label: "Row", onClickAction: { type: "pick", payload: "row-3" } },
        { type: "Button", label: "Pair", onClickAction: { type: "pick", payload: ["a", 2] } },
        {
          type: "Form",
          onSubmitAction: { type: "save", payload: 7 },
          children: [
            { type: "Input", name: "title", defaultValue: "t" },
            { type: "Button", label: "Save", submit: true },
          ],
        },
      ),
      host,
    );
    byRole(el, "button", "Row").click();
    byRole(el, "button", "Pair").click();
    byRole(el, "button", "Save").click();
    expect(calls.map((c) => c.action.payload)).toEqual(["row-3", ["a", 2], 7]);
    expect(calls[2]!.meta.formData).toEqual({ title: "t" });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('payload of action "save" is not an object'));
  });

  it("treats a Card with asForm as a form for its confirm action", () => {
    const { host, calls } = makeHost();
    const el = mount(
      {
        type: "Card",
        asForm: true,
        confirm: { label: "Send", action: { type: "send", payload: { to: "me" } } },
        cancel: { label: "Cancel", action: { type: "cancel" } },
        children: [{ type: "Input", name: "message", placeholder: "Message", required: true }],
      },
      host,
    );
    byRole(el, "button", "Send").click();
    expect(calls).toHaveLength(0); // required and empty
    type(byRole(el, "textbox", "Message"), "hi");
    byRole(el, "button", "Send").click();
    expect(calls[0]!.action).toEqual({ type: "send", payload: { to: "me", message: "hi" } });
    expect(calls[0]!.meta.formData).toEqual({ message: "hi" });
  });

  it("keeps a nested form's fields out of the outer form", async () => {
    const { host, calls } = makeHost();
    const el = mount(
      {
        type: "Card",
        asForm: true,
        confirm: { label: "Outer", action: { type: "outer" } },
        children: [
          { type: "Input", name: "a", defaultValue: "1" },
          {
            type: "Form",
            onSubmitAction: { type: "inner" },
            children: [
              { type: "Input", name: "b", defaultValue: "2" },
              { type: "Button", label: "Inner", submit: true },
            ],
          },
        ],
      },
      host,
    );
    byRole(el, "button", "Inner").click();
    await flush(); // the inner submit holds the widget busy until the host is done
    byRole(el, "button", "Outer").click();
    expect(calls.map((c) => c.action)).toEqual([
      { type: "inner", payload: { b: "2" } },
      { type: "outer", payload: { a: "1" } },
    ]);
  });
});

describe("loadingBehavior", () => {
  it("auto: a button shows its own loading state until the host is done", async () => {
    const gate = deferred();
    const { host, calls } = makeHost(() => gate.promise);
    const el = mount(basic({ type: "Button", label: "Go", onClickAction: { type: "go" } }), host);
    const button = byRole(el, "button", "Go");
    button.click();
    expect(button.getAttribute("aria-busy")).toBe("true");
    expect(button.classList.contains("ckw-loading")).toBe(true);
    expect(el.getAttribute("aria-busy")).toBeNull();
    button.click(); // ignored while busy
    expect(calls).toHaveLength(1);
    gate.resolve();
    await flush();
    expect(button.getAttribute("aria-busy")).toBeNull();
    expect(button.classList.contains("ckw-loading")).toBe(false);
    button.click();
    expect(calls).toHaveLength(2);
  });

  it("auto: a form submit makes the whole widget busy and inert", async () => {
    const gate = deferred();
    const { host } = makeHost(() => gate.promise);
    const el = mount(
      basic({ type: "Form", onSubmitAction: { type: "save" }, children: [{ type: "Button", label: "Save", submit: true }] }),
      host,
    );
    byRole(el, "button", "Save").click();
    expect(el.getAttribute("aria-busy")).toBe("true");
    expect(el.classList.contains("ckw-root--loading")).toBe(true);
    expect(el.inert).toBe(true);
    gate.resolve();
    await flush();
    expect(el.getAttribute("aria-busy")).toBeNull();
    expect(el.inert).toBe(false);
  });

  it.each([
    ["self", "button"],
    ["container", "root"],
    ["none", "nothing"],
  ] as const)("%s puts the loading state on the %s", async (behavior, where) => {
    const gate = deferred();
    const { host } = makeHost(() => gate.promise);
    const el = mount(basic({ type: "Button", label: "Go", onClickAction: { type: "go", loadingBehavior: behavior } }), host);
    const button = byRole(el, "button", "Go");
    button.click();
    expect(button.getAttribute("aria-busy") === "true").toBe(where === "button");
    expect(el.getAttribute("aria-busy") === "true").toBe(where === "root");
    gate.resolve();
    await flush();
    expect(el.querySelector("[aria-busy]")).toBeNull();
    expect(el.getAttribute("aria-busy")).toBeNull();
  });

  it("self on a form submit puts the loading state on the submit button, and blocks a second submit", async () => {
    // Before: it went on the <form>, which has no loading look, and the button stayed as it was.
    const gate = deferred();
    const { host, calls } = makeHost(() => gate.promise);
    const el = mount(
      basic({
        type: "Form",
        onSubmitAction: { type: "save", loadingBehavior: "self" },
        children: [
          { type: "Input", name: "title" },
          { type: "Button", label: "Save", submit: true },
        ],
      }),
      host,
    );
    const save = byRole(el, "button", "Save");
    save.click();
    expect(save.getAttribute("aria-busy")).toBe("true");
    expect(save.classList.contains("ckw-loading")).toBe(true);
    expect(el.getAttribute("aria-busy")).toBeNull();
    save.click();
    expect(calls).toHaveLength(1);
    gate.resolve();
    await flush();
    expect(el.querySelector("[aria-busy]")).toBeNull();
  });

  it("clears the loading state and reports when the host fails", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { host } = makeHost(() => Promise.reject(new Error("boom")));
    const el = mount(basic({ type: "Button", label: "Go", onClickAction: { type: "go" } }), host);
    const button = byRole(el, "button", "Go");
    button.click();
    await flush();
    expect(button.getAttribute("aria-busy")).toBeNull();
    expect(error).toHaveBeenCalledOnce();
  });
});

describe("ListView", () => {
  const items = ["Blue", "Orange", "Purple", "Green", "Red"].map((label) => ({
    type: "ListViewItem",
    key: label.toLowerCase(),
    gap: 5,
    onClickAction: { type: "line.select", payload: { id: label.toLowerCase() } },
    children: [{ type: "Text", value: `${label} line` }],
  }));

  it("shows `limit` items and a button that reveals the rest", () => {
    const el = mount({ type: "ListView", limit: 2, children: items });
    const list = byRole(el, "list");
    expect(allByRole(list, "listitem").map((li) => text(li))).toEqual(["Blue line", "Orange line"]);
    const more = byRole(el, "button", /show more/i);
    expect(text(more)).toBe("Show more (3)");
    more.click();
    expect(allByRole(list, "listitem")).toHaveLength(5);
    expect(allByRole(el, "button", /show more/i)).toHaveLength(0);
    expect(document.activeElement?.textContent).toBe("Purple line");
  });

  it("shows everything without a limit or with 'auto'", () => {
    for (const limit of [undefined, "auto", 10]) {
      const el = mount({ type: "ListView", limit, children: items });
      expect(allByRole(el, "listitem")).toHaveLength(5);
      expect(allByRole(el, "button", /show more/i)).toHaveLength(0);
    }
  });

  it("makes items with an action keyboard-operable buttons", () => {
    const { host, calls } = makeHost();
    const el = mount(
      {
        type: "ListView",
        children: [
          ...items.slice(0, 2),
          {
            type: "ListViewItem",
            onClickAction: { type: "row" },
            children: [
              { type: "Text", value: "Row" },
              { type: "Button", label: "Inner", onClickAction: { type: "inner" } },
            ],
          },
        ],
      },
      host,
    );
    const orange = byRole(el, "button", "Orange line");
    expect(orange.tabIndex).toBe(0);
    orange.click();
    byRole(el, "button", "Blue line").dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    byRole(el, "button", "Inner").click();
    expect(calls.map((c) => c.action)).toEqual([
      { type: "line.select", payload: { id: "orange" } },
      { type: "line.select", payload: { id: "blue" } },
      { type: "inner" },
    ]);
  });
});

describe("Chart", () => {
  const chart = {
    type: "Chart",
    data: [
      { month: "Jan", desktop: 186, mobile: 80, tablet: 20 },
      { month: "Feb", desktop: 305, mobile: 200, tablet: 40 },
      { month: "Mar", desktop: 237, mobile: 120, tablet: 35 },
    ],
    series: [
      { type: "bar", dataKey: "desktop", label: "Desktop", color: "blue" },
      { type: "bar", dataKey: "tablet", label: "Tablet", stack: "s", color: "orange-500" },
      { type: "bar", dataKey: "mobile", label: "Mobile bars", stack: "s" },
      { type: "line", dataKey: "mobile", label: "Mobile", color: { light: "#111111", dark: "#eeeeee" } },
      { type: "area", dataKey: "tablet", label: "Tablet area", curveType: "step" },
    ],
    xAxis: { dataKey: "month", labels: { Jan: "January" } },
    showYAxis: true,
    height: 200,
  };

  it("draws an SVG with one group per series, axes and a legend", () => {
    const el = mount(basic(chart));
    const svg = byRole(el, "img", /chart/i);
    expect(svg.tagName.toLowerCase()).toBe("svg");
    const groups = Array.from(svg.querySelectorAll(".ckw-chart__series"));
    expect(groups.map((g) => `${g.getAttribute("data-series")}:${g.getAttribute("class")!.split("--")[1]}`)).toEqual([
      "tablet:area",
      "desktop:bar",
      "tablet:bar",
      "mobile:bar",
      "mobile:line",
    ]);
    expect(svg.querySelectorAll(".ckw-chart__series--bar rect")).toHaveLength(9);
    expect(svg.querySelector(".ckw-chart__series--line path.ckw-chart__line")?.getAttribute("d")).toMatch(/^M[\d.]+,[\d.]+C/);
    expect(svg.querySelector(".ckw-chart__series--area path.ckw-chart__area")?.getAttribute("d")).toMatch(/Z$/);
    expect(Array.from(svg.querySelectorAll(".ckw-chart__x-axis text")).map((t) => t.textContent)).toEqual(["January", "Feb", "Mar"]);
    expect(svg.querySelectorAll(".ckw-chart__grid text").length).toBeGreaterThan(2);
    expect(allByRole(el, "listitem").map((li) => text(li))).toEqual(["Desktop", "Tablet", "Mobile bars", "Mobile", "Tablet area"]);
    expect(el.querySelector<HTMLElement>(".ckw-chart")!.style.height).toBe("200px");
  });

  it("stacks bars that share a stack id and resolves series colours", () => {
    const el = mount(basic(chart), makeHost(undefined, "dark").host);
    const rectOf = (key: string, i: number) =>
      el.querySelectorAll(`.ckw-chart__series--bar[data-series="${key}"] rect`)[i] as SVGRectElement;
    const tablet = rectOf("tablet", 1);
    const mobile = rectOf("mobile", 1);
    // Same slot, mobile sits on top of tablet.
    expect(tablet.getAttribute("x")).toBe(mobile.getAttribute("x"));
    const mobileBottom = Number(mobile.getAttribute("y")) + Number(mobile.getAttribute("height"));
    expect(mobileBottom).toBeCloseTo(Number(tablet.getAttribute("y")), 5);
    const colorOf = (sel: string) => (el.querySelector(sel) as SVGElement).style.getPropertyValue("--ckw-series-color");
    expect(colorOf('.ckw-chart__series--bar[data-series="desktop"]')).toBe("var(--ckw-chart-blue)");
    expect(colorOf('.ckw-chart__series--bar[data-series="tablet"]')).toBe("#f97316");
    expect(colorOf(".ckw-chart__series--line")).toBe("#eeeeee");
    expect(rectOf("desktop", 0).querySelector("title")?.textContent).toBe("January · Desktop: 186");
  });

  it("copes with empty or odd data", () => {
    const el = mount(
      basic(
        { type: "Chart", data: [], series: [], xAxis: "x" },
        {
          type: "Chart",
          data: [
            { x: "a", v: "n/a" },
            { x: "b", v: 3 },
          ],
          series: [
            { type: "line", dataKey: "v" },
            { type: "pie", dataKey: "v" },
          ],
          xAxis: "x",
        },
      ),
    );
    expect(text(el.querySelector(".ckw-chart__empty"))).toBe("No data");
    expect(el.querySelectorAll(".ckw-chart__series")).toHaveLength(1);
  });

  it("draws a long line without a dot per row, a short one with them", () => {
    const line = (n: number) => ({
      type: "Chart",
      data: Array.from({ length: n }, (_, i) => ({ x: `d${i}`, v: i % 7 })),
      series: [{ type: "line", dataKey: "v" }],
      xAxis: "x",
    });
    const el = mount(basic(line(5000), line(12)));
    const [long, short] = Array.from(el.querySelectorAll(".ckw-chart__svg"));
    // Before: 5,000 circles, each with a tooltip, redrawn on every update.
    expect(long!.querySelectorAll("circle")).toHaveLength(0);
    expect(long!.querySelector("path.ckw-chart__line")?.getAttribute("d")).toMatch(/^M/);
    expect(short!.querySelectorAll("circle")).toHaveLength(12);
  });

  it("says No data when no row has a number for any series", () => {
    // Before: an empty grid and a legend, with nothing saying why.
    const el = mount(
      basic({
        type: "Chart",
        data: [
          { x: "a", v: "n/a" },
          { x: "b", v: "" },
          { x: "c", w: 3 },
        ],
        series: [{ type: "bar", dataKey: "v", label: "V" }],
        xAxis: "x",
      }),
    );
    expect(text(el.querySelector(".ckw-chart__empty"))).toBe("No data");
    expect(el.querySelectorAll(".ckw-chart__bar")).toHaveLength(0);
  });

  it("draws values near the largest double without hanging, every coordinate a number", () => {
    // Before: the y grid stepped `v += step` up to an Infinity top and never ended (tab frozen).
    const huge = (values: number[], stack?: string) => ({
      type: "Chart",
      data: values.map((v, i) => ({ x: `c${i}`, v, w: v })),
      series: [
        { type: "bar", dataKey: "v", stack },
        { type: "bar", dataKey: "w", stack },
      ],
      xAxis: "x",
      showYAxis: true,
    });
    const el = mount(basic(huge([1.7e308, 1]), huge([Number.MAX_VALUE, -Number.MAX_VALUE]), huge([1e308, 1e308], "s")));
    const charts = el.querySelectorAll(".ckw-chart__svg");
    expect(charts).toHaveLength(3);
    for (const chart of Array.from(charts)) {
      const ticks = chart.querySelectorAll(".ckw-chart__grid line").length;
      expect(ticks).toBeGreaterThan(1);
      expect(ticks).toBeLessThanOrEqual(21);
      for (const shape of Array.from(chart.querySelectorAll("rect, line"))) {
        for (const attr of ["x", "y", "width", "height", "x1", "x2", "y1", "y2"]) {
          const value = shape.getAttribute(attr);
          if (value !== null) expect(Number.isFinite(Number(value)), `${attr}=${value}`).toBe(true);
        }
      }
    }
    // The stacked pair (1e308 + 1e308 overflows) still draws the second bar above the first.
    const stacked = charts[2]!.querySelectorAll<SVGRectElement>("rect");
    expect(Number(stacked[1]!.getAttribute("y"))).toBeLessThanOrEqual(Number(stacked[0]!.getAttribute("y")));
  });
});

describe("tokens", () => {
  it("resolves palette, semantic, alpha and {light, dark} colours", () => {
    expect(resolveColor("orange-700", "background", "light")).toBe("#c2410c");
    expect(resolveColor("gray-500", "text", "light")).toBe("#6b7280");
    expect(PALETTE.size).toBeGreaterThan(200);
    expect(resolveColor("secondary", "text", "light")).toBe("var(--ckw-text-secondary)");
    expect(resolveColor("surface-secondary", "background", "light")).toBe("var(--ckw-surface-secondary)");
    expect(resolveColor("subtle", "border", "light")).toBe("var(--ckw-border-subtle)");
    expect(resolveColor("danger", "background", "light")).toBe("var(--ckw-color-danger)");
    expect(resolveColor("alpha-10", "background", "light")).toBe("rgb(var(--ckw-alpha-rgb) / 0.1)");
    expect(resolveColor({ light: "blue-100", dark: "blue-900" }, "background", "light")).toBe("#dbeafe");
    expect(resolveColor({ light: "blue-100", dark: "blue-900" }, "background", "dark")).toBe("#1e3a8a");
    expect(resolveColor("#abc", "text", "light")).toBe("#abc");
    expect(resolveColor("url(x)", "text", "light")).toBeNull();
    expect(resolveColor("orange-1234", "text", "light")).toBeNull();
  });

  it("resolves radius and spacing", () => {
    expect(radius("full")).toBe("9999px");
    expect(radius("100%")).toBe("100%");
    expect(radius("none")).toBe("0");
    expect(radius("2xs")).toBe("var(--ckw-radius-2xs)");
    expect(radius("4xl")).toBe("var(--ckw-radius-4xl)");
    expect(radius("huge")).toBeNull();
    expect(spacing(4)).toBe("calc(var(--ckw-space, 4px) * 4)");
    expect(spacing(0)).toBe("0");
    expect(spacing("12px")).toBe("12px");
    expect(spacing("1em 2em")).toBe("1em 2em");
    expect(spacing("url(x)")).toBeNull();
  });

  it("follows the host's colour scheme, and a root's own theme", () => {
    const pair = { light: "#ffffff", dark: "#000000" };
    const light = mount(basic({ type: "Box", background: pair, children: [] }), makeHost(undefined, "light").host);
    expect(light.getAttribute("data-color-scheme")).toBe("light");
    expect(light.querySelector<HTMLElement>(".ckw-basic > .ckw-box")!.style.background).toBe("#ffffff");
    const themed = mount(
      { type: "Card", theme: "dark", children: [{ type: "Box", background: pair, children: [] }] },
      makeHost(undefined, "light").host,
    );
    expect(themed.querySelector(".ckw-card-widget")!.getAttribute("data-color-scheme")).toBe("dark");
    expect(themed.querySelector<HTMLElement>(".ckw-card .ckw-box")!.style.background).toBe("#000000");
  });

  it("re-resolves colour pairs when the scheme changes", () => {
    const el = mount(basic({ type: "Text", value: "t", color: { light: "#111111", dark: "#eeeeee" } }));
    setWidgetColorScheme(el, "dark");
    expect(el.getAttribute("data-color-scheme")).toBe("dark");
    expect(byRole(el, "paragraph", "t").style.color).toBe("#eeeeee");
  });
});

// --- updates ---------------------------------------------------------------------------------

describe("updates", () => {
  it("updateWidget re-renders in place, keeping focus, typed values and expanded lists", () => {
    const { host } = makeHost();
    const root = (title: string) =>
      basic(
        { type: "Title", value: title },
        {
          type: "Form",
          onSubmitAction: { type: "s" },
          children: [
            { type: "Input", name: "q", placeholder: "Query" },
            { type: "Input", name: "r", placeholder: "Other", defaultValue: "a" },
          ],
        },
        {
          type: "ListView",
          limit: 1,
          children: [1, 2, 3].map((i) => ({ type: "ListViewItem", children: [{ type: "Text", value: `item ${i}` }] })),
        },
      );
    const el = mount(root("Before"), host);
    byRole(el, "button", /show more/i).click();
    const q = byRole<HTMLInputElement>(el, "textbox", "Query");
    type(q, "hello");
    q.setSelectionRange(1, 3);
    updateWidget(el, root("After"), host);
    expect(el.isConnected).toBe(true);
    expect(byRole(el, "heading", "After")).toBeTruthy();
    const q2 = byRole<HTMLInputElement>(el, "textbox", "Query");
    expect(q2).toBe(q); // the same node, morphed
    expect(q2.value).toBe("hello");
    expect(document.activeElement).toBe(q2);
    expect([q2.selectionStart, q2.selectionEnd]).toEqual([1, 3]);
    expect(allByRole(el, "listitem")).toHaveLength(3);
  });

  it("updateWidget takes the server's new default over the user's edit", () => {
    const { host } = makeHost();
    const root = (v: string) => basic({ type: "Input", name: "q", placeholder: "Query", defaultValue: v });
    const el = mount(root("one"), host);
    type(byRole(el, "textbox", "Query"), "typed");
    updateWidget(el, root("two"), host);
    expect(byRole<HTMLInputElement>(el, "textbox", "Query").value).toBe("two");
  });

  it("updateComponent replaces one component by id", () => {
    const { host, calls } = makeHost();
    const el = mount(basic({ type: "Text", id: "status", value: "Pending" }, { type: "Input", name: "keep", placeholder: "Keep" }), host);
    const keep = byRole<HTMLInputElement>(el, "textbox", "Keep");
    type(keep, "mine");
    updateComponent(
      el,
      "status",
      { type: "Button", id: "status", label: "Retry", onClickAction: { type: "retry" } } as WidgetComponent,
      host,
    );
    expect(allByRole(el, "paragraph", "Pending")).toHaveLength(0);
    byRole(el, "button", "Retry").click();
    expect(calls[0]!.action.type).toBe("retry");
    expect(byRole(el, "textbox", "Keep")).toBe(keep);
    expect(keep.value).toBe("mine");
    expect(document.activeElement).toBe(keep);
    // A later scheme change re-renders from the updated tree.
    setWidgetColorScheme(el, "dark");
    expect(byRole(el, "button", "Retry")).toBeTruthy();
  });

  it("updateComponent with an unknown id changes nothing", () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const el = mount(basic({ type: "Text", value: "x" }));
    const before = el.innerHTML;
    updateComponent(el, "nope", { type: "Text", value: "y" } as WidgetComponent, makeHost().host);
    expect(el.innerHTML).toBe(before);
  });

  it("appendStreamingText streams into Text and Markdown", () => {
    const el = mount(
      basic({ type: "Text", id: "t", value: "Hel", streaming: true }, { type: "Markdown", id: "m", value: "**bo", streaming: true }),
    );
    appendStreamingText(el, "t", "lo", false);
    appendStreamingText(el, "m", "ld** text", false);
    const t = el.querySelector<HTMLElement>("[data-ckw-id=t]")!;
    const m = el.querySelector<HTMLElement>("[data-ckw-id=m]")!;
    expect(t.textContent).toBe("Hello");
    expect(t.classList.contains("ckw-streaming")).toBe(true);
    expect(text(m.querySelector("strong"))).toBe("bold");
    appendStreamingText(el, "t", " world", true);
    appendStreamingText(el, "m", "!", true);
    expect(t.textContent).toBe("Hello world");
    expect(t.classList.contains("ckw-streaming")).toBe(false);
    expect(text(m)).toBe("bold text!");
    setWidgetColorScheme(el, "dark"); // the streamed text survives a re-render
    expect(el.querySelector("[data-ckw-id=t]")!.textContent).toBe("Hello world");
  });
});

describe("robustness", () => {
  it("does not let field names shadow the form's own properties", () => {
    const { host, calls } = makeHost();
    const el = mount(
      basic({
        type: "Form",
        onSubmitAction: { type: "save" },
        children: [
          { type: "Input", name: "querySelectorAll", defaultValue: "a" },
          { type: "Input", name: "getAttribute", defaultValue: "b" },
          { type: "Input", name: "submit", defaultValue: "c" },
          { type: "Input", name: "__proto__.polluted", defaultValue: "d" },
          { type: "Input", name: "plain", defaultValue: "e" },
          { type: "Button", label: "Save", submit: true },
        ],
      }),
      host,
    );
    byRole(el, "button", "Save").click();
    expect(calls[0]!.action.payload).toEqual({ querySelectorAll: "a", getAttribute: "b", submit: "c", plain: "e" });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(el.querySelector<HTMLInputElement>("[data-ckw-field=plain]")!.name).toBe("plain");
    expect(el.querySelector<HTMLInputElement>("[data-ckw-field=submit]")!.name).toBe("");
  });

  it("keeps non-item children of a ListView inside list items", () => {
    const el = mount({ type: "ListView", children: [{ type: "Text", value: "stray" }] });
    expect(byRole(byRole(el, "list"), "listitem", "stray")).toBeTruthy();
  });
});

// --- in-place redraws (morph) ----------------------------------------------------------------

describe("in-place redraws", () => {
  const row = (key: string, label: string, extra: Record<string, unknown> = {}) => ({
    type: "ListViewItem",
    key,
    onClickAction: { type: "pick", payload: { id: key } },
    children: [{ type: "Text", value: label }],
    ...extra,
  });
  const list = (...rows: unknown[]) => ({ type: "ListView", children: rows }) as unknown as WidgetRoot;

  it("keeps the DOM node of every keyed item when items are inserted before it", () => {
    const { host } = makeHost();
    const el = mount(list(row("a", "Alpha"), row("b", "Beta")), host);
    const [a, b] = allByRole(el, "listitem");
    updateWidget(el, list(row("z", "Zulu"), row("a", "Alpha"), row("b", "Beta 2")), host);
    const items = allByRole(el, "listitem");
    expect(items.map((i) => text(i))).toEqual(["Zulu", "Alpha", "Beta 2"]);
    expect(items[1]).toBe(a);
    expect(items[2]).toBe(b);
    // Removing one drops only that node.
    updateWidget(el, list(row("a", "Alpha"), row("b", "Beta 2")), host);
    expect(allByRole(el, "listitem")).toEqual([a, b]);
  });

  it("children named by id keep their node too", () => {
    const { host } = makeHost();
    const el = mount(basic({ type: "Text", id: "x", value: "one" }), host);
    const x = byRole(el, "paragraph", "one");
    updateWidget(el, basic({ type: "Title", value: "new" }, { type: "Text", id: "x", value: "two" }), host);
    expect(byRole(el, "paragraph", "two")).toBe(x);
  });

  it("a focused input keeps focus, caret and typed text through 100 redraws", () => {
    const { host } = makeHost();
    const card = (n: number) =>
      ({
        type: "Card",
        children: [
          { type: "Title", value: `Count ${n}` },
          { type: "Input", name: "note", placeholder: "Note" },
          { type: "Textarea", name: "long", placeholder: "Long" },
          {
            type: "Select",
            name: "pick",
            placeholder: "Pick",
            options: [
              { label: "A", value: "a" },
              { label: "B", value: "b" },
            ],
          },
          ...Array.from({ length: n % 5 }, (_, i) => ({ type: "Text", key: `t${i}`, value: `line ${i}` })),
        ],
      }) as unknown as WidgetRoot;
    const el = mount(card(0), host);
    const long = byRole<HTMLTextAreaElement>(el, "textbox", "Long");
    type(long, "first draft");
    choose(byRole<HTMLSelectElement>(el, "combobox", "Pick"), "b");
    const note = byRole<HTMLInputElement>(el, "textbox", "Note");
    type(note, "hello world");
    note.setSelectionRange(2, 7);
    for (let n = 1; n <= 100; n++) updateWidget(el, card(n), host);
    expect(byRole(el, "heading", "Count 100")).toBeTruthy();
    expect(byRole(el, "textbox", "Note")).toBe(note);
    expect(document.activeElement).toBe(note);
    expect(note.value).toBe("hello world");
    expect([note.selectionStart, note.selectionEnd]).toEqual([2, 7]);
    expect(byRole<HTMLTextAreaElement>(el, "textbox", "Long").value).toBe("first draft");
    expect(byRole<HTMLSelectElement>(el, "combobox", "Pick").value).toBe("b");
  });

  it("an input in a keyed item keeps focus, caret and text when its item moves or others go", () => {
    const { host } = makeHost();
    const item = (k: string) => ({
      type: "ListViewItem",
      key: k,
      children: [{ type: "Input", name: `note_${k}`, placeholder: `Note ${k}` }],
    });
    const rows = (...keys: string[]) => list(...keys.map(item));
    const el = mount(rows("a", "b", "c"), host);
    const b = byRole<HTMLInputElement>(el, "textbox", "Note b");
    type(b, "typed");
    b.setSelectionRange(1, 3);
    // b moves to the end (morphdom moves it with insertBefore, which blurs it), then to the front.
    for (const order of [
      ["c", "a", "b"],
      ["b", "c", "a"],
      ["b", "a"],
    ]) {
      updateWidget(el, rows(...order), host);
      expect(allByRole(el, "textbox").map(nameOf)).toEqual(order.map((k) => `Note ${k}`));
      expect(byRole(el, "textbox", "Note b")).toBe(b);
      expect(document.activeElement, order.join()).toBe(b);
      expect([b.value, b.selectionStart, b.selectionEnd]).toEqual(["typed", 1, 3]);
    }
  });

  it("a kept button fires the new action payload, and an item can gain an action", async () => {
    const { host, calls } = makeHost();
    const view = (n: number, withAction: boolean) =>
      basic(
        { type: "Button", key: "go", label: "Go", onClickAction: { type: "go", payload: { n } } },
        {
          type: "ListView",
          children: [withAction ? row("r", "Row") : { type: "ListViewItem", key: "r", children: [{ type: "Text", value: "Row" }] }],
        },
      );
    const el = mount(view(1, false), host);
    const go = byRole(el, "button", "Go");
    const item = el.querySelector<HTMLElement>(".ckw-list-item__content")!;
    item.click();
    expect(calls).toHaveLength(0);
    updateWidget(el, view(2, true), host);
    expect(byRole(el, "button", "Go")).toBe(go);
    go.click();
    await flush();
    expect(calls.map((c) => c.action)).toEqual([{ type: "go", payload: { n: 2 } }]);
    expect(el.querySelector(".ckw-list-item__content")).toBe(item);
    item.click();
    await flush();
    expect(calls[1]!.action).toEqual({ type: "pick", payload: { id: "r" } });
  });

  it("form values collected after a redraw come from the kept fields", async () => {
    const { host, calls } = makeHost();
    const form = (title: string) =>
      basic(
        { type: "Title", value: title },
        {
          type: "Form",
          onSubmitAction: { type: "save", payload: { title } },
          children: [
            { type: "Input", name: "todo.title", placeholder: "Todo" },
            { type: "Button", label: "Save", submit: true },
          ],
        },
      );
    const el = mount(form("v1"), host);
    type(byRole<HTMLInputElement>(el, "textbox", "Todo"), "milk");
    updateWidget(el, form("v2"), host);
    byRole(el, "button", "Save").click();
    await flush();
    expect(calls[0]!.action).toEqual({ type: "save", payload: { title: "v2", todo: { title: "milk" } } });
  });

  it("a redraw while an action runs keeps its loading state until the host answers", async () => {
    const gate = deferred();
    const { host } = makeHost(() => gate.promise);
    const view = (label: string) => basic({ type: "Button", key: "b", label, onClickAction: { type: "slow", loadingBehavior: "self" } });
    const el = mount(view("Run"), host);
    const button = byRole(el, "button", "Run");
    button.click();
    expect(button.getAttribute("aria-busy")).toBe("true");
    updateWidget(el, view("Running"), host);
    expect(byRole(el, "button", "Running")).toBe(button);
    expect(button.getAttribute("aria-busy")).toBe("true");
    gate.resolve();
    await flush();
    expect(button.hasAttribute("aria-busy")).toBe(false);
  });

  it("an opened card and an expanded list stay open", () => {
    const { host } = makeHost();
    const view = (n: number) =>
      basic(
        { type: "Card", key: "c", collapsed: true, children: [{ type: "Text", value: `details ${n}` }] },
        { type: "ListView", key: "l", limit: 1, children: [row("a", "A"), row("b", `B ${n}`)] },
      );
    const el = mount(view(1), host);
    byRole(el, "button", "Show details").click();
    byRole(el, "button", /show more/i).click();
    updateWidget(el, view(2), host);
    expect(byRole(el, "paragraph", "details 2")).toBeTruthy();
    expect(byRole(el, "button", "Hide details")).toBeTruthy();
    expect(allByRole(el, "listitem").map((i) => text(i))).toEqual(["A", "B 2"]);
    // The kept toggle still works.
    byRole(el, "button", "Hide details").click();
    expect(allByRole(el, "paragraph", "details 2")).toHaveLength(0);
  });

  it("a change of type at the same place gets a fresh node with its own listeners", async () => {
    const { host, calls } = makeHost();
    const el = mount(basic({ type: "Text", value: "wait" }), host);
    updateWidget(el, basic({ type: "Button", label: "Now", onClickAction: { type: "now" } }), host);
    byRole(el, "button", "Now").click();
    await flush();
    expect(calls[0]!.action.type).toBe("now");
  });
});
