"""Hostile model output and hostile widgets, shown by the lite renderer in real JupyterLab.

A scripted ChatKitServer streams every payload in xss_payloads.py as an assistant message (in
5-character deltas, so half-written tags reach the renderer too) and inside widgets: as the text of
Title, Caption, Text, Label, Badge, Markdown and Button, as Image and favicon URLs and markdown link
targets, in style props, icon names, ids and keys, and through a streamed widget. Each payload sets
`window.xssHit` if it ever runs. The test then reads the page, hovers and clicks every link, image
and button a person could, and checks that nothing ran, nothing dangerous is left in the DOM, and
the payloads did arrive, as inert text.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from .chat_helpers import reveal
from .conftest import Lab, open_notebook, run_all_cells, send
from .xss_payloads import (
    FLAG,
    MESSAGE_PAYLOADS,
    TEXT_PAYLOADS,
    URL_PAYLOADS,
    hostile_style_widgets,
)

pytestmark = pytest.mark.browser

COMPOSER = "Say something hostile"
TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9Q"
    "DwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
STREAMED = "".join(p.text for p in MESSAGE_PAYLOADS[:12])

SERVER_CELL = """
import json
from datetime import datetime

from chatkit.server import ChatKitServer, stream_widget
from chatkit.types import (
    AssistantMessageContent, AssistantMessageContentPartTextDelta, AssistantMessageItem,
    ThreadItemAddedEvent, ThreadItemDoneEvent, ThreadItemUpdatedEvent, WidgetItem,
)
from chatkit.widgets import DynamicWidgetRoot
from chatkit_jupyter import ChatKitWidget, SQLiteStore

SPEC = json.loads({spec!r})


class HostileServer(ChatKitServer):
    \"\"\"'attack': every payload as a streamed message and inside widgets.\"\"\"

    def __init__(self):
        super().__init__(SQLiteStore(":memory:"))
        self.actions = []

    def say(self, thread, item_id, text):
        return ThreadItemDoneEvent(item=AssistantMessageItem(
            id=item_id, thread_id=thread.id, created_at=datetime.now(),
            content=[AssistantMessageContent(text=text)],
        ))

    def widget(self, thread, item_id, tree):
        return ThreadItemDoneEvent(item=WidgetItem(
            id=item_id, thread_id=thread.id, created_at=datetime.now(),
            widget=DynamicWidgetRoot.model_validate(tree),
        ))

    async def respond(self, thread, item, context):
        for p in SPEC["messages"]:
            msg = AssistantMessageItem(
                id=f"xss-m-{{p['n']}}", thread_id=thread.id, created_at=datetime.now(),
                content=[AssistantMessageContent(text="")],
            )
            yield ThreadItemAddedEvent(item=msg)
            text = p["text"]
            for i in range(0, len(text), 5):
                yield ThreadItemUpdatedEvent(item_id=msg.id, update=AssistantMessageContentPartTextDelta(
                    content_index=0, delta=text[i:i + 5]))
            msg.content = [AssistantMessageContent(text=text)]
            yield ThreadItemDoneEvent(item=msg)
        for i, tree in enumerate(SPEC["widgets"]):
            yield self.widget(thread, f"xss-w-{{i}}", tree)
        async for event in stream_widget(thread, self.streamed(), generate_id=lambda _: "xss-stream"):
            yield event
        yield self.say(thread, "xss-done", "Attack finished")

    async def streamed(self):
        text = SPEC["streamed"]
        for end in range(0, len(text) + 1, 7):
            yield DynamicWidgetRoot.model_validate({{"type": "Card", "children": [
                {{"type": "Text", "id": "s-text", "streaming": True, "value": text[:end]}},
                {{"type": "Markdown", "id": "s-md", "streaming": True, "value": text[:end]}},
            ]}})
        # Same keys as above: chatkit's diff_widget fails on a dynamic field that disappears.
        yield DynamicWidgetRoot.model_validate({{"type": "Card", "children": [
            {{"type": "Text", "id": "s-text", "streaming": False, "value": text}},
            {{"type": "Markdown", "id": "s-md", "streaming": False, "value": text}},
        ]}})

    async def action(self, thread, action, sender, context):
        value = (action.payload or {{}}).get("v")
        self.actions.append(value)
        ok = value in SPEC["texts"] or value == "hostile" or "onerror" in str(value)
        yield self.say(
            thread, f"xss-action-{{len(self.actions)}}",
            f"Action {{len(self.actions)}} {{'intact' if ok else 'CHANGED'}}",
        )


server = HostileServer()
w = ChatKitWidget(server, renderer="lite", height=800, options={{"composer": {{"placeholder": {composer!r}}}}})
w
"""

# Everything in the chat a payload could use to run, navigate or load something.
AUDIT_JS = r"""
(root) => {
  const bad = [];
  const IGNORED = /[\u0000-\u0020\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g;
  const norm = (v) => String(v).replace(IGNORED, "").toLowerCase();
  const DANGER = /^(javascript|vbscript|livescript|data:text\/html|data:image\/svg|data:application|data:text\/xml)/;
  const URL_ATTRS = new Set(["href", "src", "xlink:href", "action", "formaction", "data", "poster",
    "background", "srcset", "lowsrc", "dynsrc", "ping", "codebase", "cite", "longdesc", "usemap",
    "manifest", "icon", "srcdoc", "content"]);
  const FORBIDDEN = new Set(["script", "iframe", "object", "embed", "frame", "frameset", "applet",
    "base", "meta", "link", "portal", "style", "noscript", "template", "math", "animate", "set",
    "foreignobject", "marquee", "isindex"]);
  const STYLE_DANGER = /url\(["']?(javascript|vbscript|data:text)|expression\(|behavior:|-moz-binding/;
  const describe = (el) => `<${el.localName}${el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : ""}>`;
  for (const el of [root, ...root.querySelectorAll("*")]) {
    const tag = el.localName.toLowerCase();
    if (FORBIDDEN.has(tag)) bad.push(`${describe(el)} element`);
    for (const name of el.getAttributeNames()) {
      const lname = name.toLowerCase();
      const value = el.getAttribute(name) ?? "";
      if (lname.startsWith("on")) bad.push(`${describe(el)} ${name}=${value.slice(0, 60)}`);
      if (lname === "srcdoc") bad.push(`${describe(el)} srcdoc`);
      if ((URL_ATTRS.has(lname) || lname.endsWith(":href")) && DANGER.test(norm(value)))
        bad.push(`${describe(el)} ${name}=${value.slice(0, 60)}`);
      if (lname === "style" && STYLE_DANGER.test(norm(value)))
        bad.push(`${describe(el)} style=${value.slice(0, 80)}`);
    }
    const cs = getComputedStyle(el);
    for (const prop of ["background-image", "list-style-image", "border-image-source", "cursor",
      "content", "mask-image"]) {
      const v = cs.getPropertyValue(prop);
      if (/javascript:|vbscript:|data:text\/html/i.test(v)) bad.push(`${describe(el)} ${prop}: ${v.slice(0, 60)}`);
    }
  }
  // Whatever a click could follow: only web and mail links.
  for (const a of root.querySelectorAll("a[href], area[href]")) {
    const href = a.getAttribute("href");
    let protocol = "unparsable:";
    try { protocol = new URL(href, document.baseURI).protocol; } catch {}
    if (!["http:", "https:", "mailto:"].includes(protocol)) bad.push(`link to ${href.slice(0, 60)}`);
  }
  // A link whose unsafe URL was dropped must read as text, not as a dead link.
  for (const a of root.querySelectorAll("a:not([href])")) bad.push(`dead link "${a.textContent.slice(0, 40)}"`);
  for (const f of root.querySelectorAll("form[action], [formaction]")) bad.push(`${describe(f)} with an action`);
  return bad;
}
"""

# Elements in the whole document that would run or frame something (compared before and after).
DOCUMENT_JS = """
() => ({
  frames: document.querySelectorAll("iframe, frame, object, embed, portal").length,
  scripts: document.scripts.length,
  bases: document.querySelectorAll("base").length,
  metas: document.querySelectorAll("meta[http-equiv]").length,
  baseURI: document.baseURI,
})
"""


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def readable(item: Any) -> str:
    """The text of an item on screen, with the alt text of its images (shown if they break).

    The lite renderer skips painting items off screen (content-visibility), and innerText with
    them: scroll to the item as a reader would, and wait for it to paint.
    """
    reveal(item.page, item)
    item.page.wait_for_function(
        "e => e.innerText.trim() !== '' || e.querySelector('img') !== null",
        arg=item.element_handle(),
    )
    alts = item.locator("img").evaluate_all("imgs => imgs.map(i => i.alt).join(' ')")
    return normalize(f"{item.inner_text()} {alts}")


def widget_trees() -> tuple[list[dict[str, Any]], int, int]:
    """The widgets the server sends: (trees, how many carry text payloads, how many URLs)."""
    trees: list[dict[str, Any]] = []
    for t in TEXT_PAYLOADS:
        trees.append(
            {
                "type": "Card",
                "children": [
                    {"type": "Title", "value": t},
                    {"type": "Caption", "value": t},
                    {"type": "Text", "value": t},
                    {"type": "Label", "value": t},
                    {"type": "Badge", "label": t},
                    {"type": "Markdown", "value": t},
                    {
                        "type": "Button",
                        "label": t,
                        "onClickAction": {"type": "xss.click", "payload": {"v": t}},
                    },
                    {"type": "Image", "src": TINY_PNG, "alt": t, "size": 16},
                ],
            }
        )
    for n, url in URL_PAYLOADS:
        trees.append(
            {
                "type": "Card",
                "status": {"text": f"url payload {n}", "favicon": url},
                "children": [
                    {"type": "Image", "src": url, "alt": f"url image {n}", "size": 24},
                    {
                        "type": "Markdown",
                        "value": f"[widget link {n}]({url}) ![widget image {n}]({url})",
                    },
                    {"type": "Text", "value": f"url {n}: {url}"},
                ],
            }
        )
    trees.extend(hostile_style_widgets())
    return trees, len(TEXT_PAYLOADS), len(URL_PAYLOADS)


def test_hostile_messages_and_widgets_stay_inert(lab: Lab, page: Any) -> None:
    context = page.context
    requests_out: list[str] = []
    popups: list[str] = []
    dialogs: list[str] = []

    def outside(route: Any) -> None:
        requests_out.append(route.request.url)
        route.abort()

    # Nothing outside the Jupyter server is reachable; record what the page tries to load.
    context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*"), outside)
    context.on("page", lambda p: (popups.append(p.url), p.close()))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    trees, n_text, n_url = widget_trees()
    spec = {
        "messages": [{"n": p.n, "text": p.text} for p in MESSAGE_PAYLOADS],
        "widgets": trees,
        "texts": TEXT_PAYLOADS,
        "streamed": STREAMED,
    }
    cell = SERVER_CELL.format(spec=json.dumps(spec), composer=COMPOSER)
    name = lab.write_notebook(f"xss_{uuid.uuid4().hex[:8]}.ipynb", [cell])
    open_notebook(page, lab, name)
    run_all_cells(page)
    expect(page.get_by_role("textbox", name=COMPOSER)).to_be_visible(timeout=60_000)
    before = page.evaluate(DOCUMENT_JS)
    lab_url = page.url

    send(page, COMPOSER, "attack")
    log = page.get_by_role("log").first
    expect(log.locator('[data-item-id="xss-done"]')).to_contain_text(
        "Attack finished", timeout=120_000
    )
    root = page.locator(".ckl-root").first

    def audit(when: str) -> None:
        assert page.evaluate(f"() => window.{FLAG}") is None, f"a payload ran ({when})"
        assert dialogs == [], f"a payload opened a dialog ({when}): {dialogs}"
        problems = root.evaluate(AUDIT_JS)
        assert problems == [], f"dangerous DOM in the chat ({when}):\n" + "\n".join(problems)
        assert page.evaluate(DOCUMENT_JS) == before, f"the document changed ({when})"
        assert page.url == lab_url, f"the page navigated ({when})"

    audit("after rendering")

    # The payloads arrived, as text a person can read.
    missing = []
    for p in MESSAGE_PAYLOADS:
        item = log.locator(f'[data-item-id="xss-m-{p.n}"]')
        if normalize(p.shows) not in readable(item):
            missing.append(f"message {p.n}: {p.shows!r} not in {readable(item)!r}")
    for i, t in enumerate(TEXT_PAYLOADS):
        card = log.locator(f'[data-item-id="xss-w-{i}"]')
        readable(card)
        for kind in ("Title", "Caption", "Text", "Label", "Badge"):
            shown = card.locator(f'[data-ckw-type="{kind}"]').inner_text()
            if normalize(shown) != normalize(t):
                missing.append(f"widget {i} {kind}: {shown!r} != {t!r}")
        if card.get_by_role("button", name=normalize(t), exact=True).count() != 1:
            missing.append(f"widget {i}: no button named {t!r}")
    assert missing == [], "\n".join(missing)
    for i, (n, url) in enumerate(URL_PAYLOADS, n_text):
        card = log.locator(f'[data-item-id="xss-w-{i}"]')
        shown = readable(card)
        assert f"widget link {n}" in shown, shown
        assert f"url {n}: {normalize(url)}" in shown, shown
    hostile = log.locator(f'[data-item-id="xss-w-{n_text + n_url}"]')
    reveal(page, hostile)
    for text in ("hostile style text", "hostile title", "hostile status", "widget md link"):
        expect(hostile.get_by_text(text).first).to_be_visible()
    expect(hostile.get_by_role("button", name="hostile button")).to_be_visible()
    streamed = log.locator('[data-item-id="xss-stream"]')
    reveal(page, streamed)
    expect(streamed.locator('[data-ckw-id="s-text"]')).to_have_text(STREAMED)
    expect(streamed.locator('[data-ckw-id="s-md"]')).to_contain_text(MESSAGE_PAYLOADS[0].text)

    # Act as a curious person: hover and click every link and image, hover every button, focus
    # every field.
    chat = root
    for target in chat.locator("a").all() + chat.locator("img, [role=img]").all():
        target.scroll_into_view_if_needed()
        target.hover()
        target.click(modifiers=[], no_wait_after=True)
    for target in chat.locator("button, [role=button], input, select, textarea").all():
        if target.is_visible():
            target.hover()
    for target in chat.locator(".ckw-root input, .ckw-root select, .ckw-root textarea").all():
        target.focus()
    audit("after hovering and clicking")

    # Widget buttons whose labels are payloads send their payloads to the kernel as data.
    clicked = 0
    for i in (0, 1, 4, 6):
        card = log.locator(f'[data-item-id="xss-w-{i}"]')
        card.get_by_role("button", name=normalize(TEXT_PAYLOADS[i]), exact=True).click()
        clicked += 1
        expect(log.locator(f'[data-item-id="xss-action-{clicked}"]')).to_have_text(
            f"Action {clicked} intact", timeout=30_000
        )
    hostile.get_by_role("button", name="hostile button").click()
    expect(log.locator(f'[data-item-id="xss-action-{clicked + 1}"]')).to_have_text(
        f"Action {clicked + 1} intact", timeout=30_000
    )
    audit("after widget actions")
    assert not [u for u in popups if re.match(r"\s*(javascript|vbscript|data):", u, re.I)], popups
    assert not [u for u in requests_out if re.match(r"\s*(javascript|vbscript|data):", u, re.I)]
    assert page.console_errors == []  # no uncaught exception on hostile input


def test_the_audit_finds_hostile_markup(page: Any) -> None:
    """The audit above can fail: on a page that does hold hostile markup, it finds every kind."""
    page.set_content(
        "<div id=chat>"
        '<a href="jav&#x09;ascript:void(0)">tab link</a>'
        '<a href="data:text/html,x">data link</a>'
        '<img src="data:image/png;base64,AAAA" onerror="void 0">'
        '<iframe srcdoc="x"></iframe>'
        '<div style="background-image:url(javascript:void(0))">css</div>'
        '<form action="javascript:void(0)"></form>'
        '<svg><a href="javascript:void(0)"><text>svg link</text></a></svg>'
        "<a>dead</a>"
        "</div>"
    )
    found = "\n".join(page.locator("#chat").evaluate(AUDIT_JS))
    for expected in (
        "href=jav\tascript:",
        "href=data:text/html",
        "onerror=",
        "<iframe> element",
        "srcdoc",
        "style=background-image:url(javascript:",
        "action=javascript:",
        "with an action",
        "<a> href=javascript:",
        "link to javascript:",
        'dead link "dead"',
    ):
        assert expected in found, f"{expected!r} not reported in:\n{found}"
