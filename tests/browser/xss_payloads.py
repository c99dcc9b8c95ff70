"""Known XSS payloads for test_xss.py, each of which sets `window.xssHit = <its number>` if it runs.

`XSS` in a template is replaced by `top.xssHit=<n>` (top: an iframe's script reaches the page).
Sources: the OWASP XSS filter evasion cheat sheet, PortSwigger's XSS cheat sheet, DOMPurify's
mutation-XSS test cases and the markdown-specific vectors reported against marked/markdown-it.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass

FLAG = "xssHit"


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


@dataclass(frozen=True)
class Payload:
    n: int
    text: str
    """What the server sends (markdown for messages, plain text for widget fields)."""
    shows: str
    """Text a person must see (or read as an image's alt text) when the payload is a message."""


# (template, what must show in a message or None for "the payload itself, as text").
# Raw HTML in model output is shown as text, so most payloads must appear verbatim.
_HTML: list[tuple[str, str | None]] = [
    ("<img src=x onerror=XSS>", None),
    ("<svg onload=XSS>", None),
    ("<svg><script>XSS</script></svg>", None),
    ("<script>XSS</script>", None),
    ('<iframe srcdoc="<script>XSS</script>"></iframe>', None),
    ('<iframe src="javascript:XSS"></iframe>', None),
    ("<math><mtext><table><mglyph><style><img src=x onerror=XSS>", None),
    ('<noscript><p title="</noscript><img src=x onerror=XSS>">', None),
    (
        '<form><math><mtext></form><form><mglyph><svg><mtext><style><path id="</style>'
        '<img onerror=XSS src>">',
        None,
    ),
    ('<a href="jav&#x09;ascript:XSS">tab entity link</a>', None),
    ('<a href="javascript&colon;XSS">colon entity link</a>', None),
    (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;XSS">'
        "decimal entity link</a>",
        None,
    ),
    ('<a href="&#x6A;avascript&#x3A;XSS">hex entity link</a>', None),
    ('<a href=" JaVaScRiPt:XSS">mixed case link</a>', None),
    ('<a href="vbscript:msgbox(1)">vbscript link</a>', None),
    ('<a href="data:text/html,<script>XSS</script>">data html link</a>', None),
    ('<a href="#" onclick="XSS">onclick link</a>', None),
    ("<details open ontoggle=XSS>", None),
    ("<body onload=XSS>", None),
    ('<object data="javascript:XSS"></object>', None),
    ('<embed src="javascript:XSS">', None),
    ("<input autofocus onfocus=XSS>", None),
    ("<select autofocus onfocus=XSS></select>", None),
    ("<video><source onerror=XSS></video>", None),
    ('<div style="background-image:url(javascript:XSS)">css url</div>', None),
    ('<div style="width:expression(XSS)">css expression</div>', None),
    ("<style>@import 'javascript:XSS';</style>", None),
    ("<svg><animate onbegin=XSS attributeName=x dur=1s>", None),
    ('<svg><a xlink:href="javascript:XSS"><text x=20 y=20>svg link</text></a></svg>', None),
    ('<math href="javascript:XSS">math link</math>', None),
    ("<scr<script>ipt>XSS</scr</script>ipt>", None),
    ('<textarea><img title="</textarea><img src=x onerror=XSS>">', None),
    ("<svg><style><img src=x onerror=XSS></style></svg>", None),
    ("<template><img src=x onerror=XSS></template>", None),
    ('<base href="javascript:XSS//">', None),
    ('<meta http-equiv="refresh" content="0;url=javascript:XSS">', None),
    ('<link rel=stylesheet href="javascript:XSS">', None),
    ('<form action="javascript:XSS"><button>form action</button></form>', None),
    ('<button formaction="javascript:XSS">form action button</button>', None),
    ("<marquee onstart=XSS>marquee</marquee>", None),
    ("<x onmouseover=XSS>custom tag</x>", None),
    ('"><img src=x onerror=XSS>', None),
    ("'><svg/onload=XSS>", None),
    ('<img src=1 href=1 onerror="javascript:XSS"></img>', None),
    (f'<img src="data:image/svg+xml;base64,{_b64("<svg onload=XSS/>")}">', None),
    # After an inline <code>, <kbd>, <pre> or <script>, marked passed text through unescaped:
    # these reached the page as real elements, stopped only by the sanitizer.
    ("<code><img/src=x onerror=XSS></code>", None),
    ("<kbd><svg/onload=XSS></kbd>", None),
    ("see <pre><iframe/src=javascript:XSS></iframe></pre>", None),
    ("x <code><a/href=javascript:XSS>raw code link</a></code>", None),
    ("<script>a</scr</script>", None),
]

_MARKDOWN: list[tuple[str, str]] = [
    ("[md javascript link](javascript:XSS)", "md javascript link"),
    ("[md mixed case link](JaVaScRiPt:XSS)", "md mixed case link"),
    ("[md tab entity link](jav&#x09;ascript:XSS)", "md tab entity link"),
    ("[md hex entity link](&#x6A;avascript&#x3A;XSS)", "md hex entity link"),
    ("[md angle link](<javascript:XSS>)", "md angle link"),
    ("[md spaced link]( javascript:XSS )", "md spaced link"),
    ("[md vbscript link](vbscript:msgbox(1))", "md vbscript link"),
    (
        f"[md data link](data:text/html;base64,{_b64('<script>XSS</script>')})",
        "md data link",
    ),
    ("[md data html link](data:text/html,<script>XSS</script>)", "md data html link"),
    ("[md reference link][r]\n\n[r]: javascript:XSS", "md reference link"),
    ("<javascript:XSS>", "javascript:XSS"),
    ('[md title link](https://example.com/ "t\\" onmouseover=\\"XSS")', "md title link"),
    ("![md javascript image](javascript:XSS)", "md javascript image"),
    ('![md quote image](x"onerror="XSS)', "md quote image"),
    (
        f"![md svg image](data:image/svg+xml;base64,{_b64('<svg onload=XSS/>')})",
        "md svg image",
    ),
    ("[![nested image](x)](javascript:XSS)", "nested image"),
    ("`</code><img src=x onerror=XSS>`", "</code><img src=x onerror=XSS>"),
    ("```html\n<img src=x onerror=XSS>\n```", "<img src=x onerror=XSS>"),
    (
        "| cell | link |\n|---|---|\n| <img src=x onerror=XSS> | [md table link](javascript:XSS) |",
        "md table link",
    ),
    ("www.example.com/<img src=x onerror=XSS>", "<img src=x onerror=XSS>"),
    # Not a footnote to marked: a link definition whose destination is `img src=...` (relative).
    ("footnote[^1]\n\n[^1]: <img src=x onerror=XSS>", "footnote^1"),
    ('**bold <a href="javascript:XSS">raw link in bold</a>**', "raw link in bold"),
]

# URLs for Image src, a status favicon and widget markdown links.
_URLS: list[str] = [
    "javascript:XSS",
    " javascript:XSS",
    "JaVaScRiPt:XSS",
    "jav&#x09;ascript:XSS",
    "java\tscript:XSS",
    "java\nscript:XSS",
    "&#106;avascript:XSS",
    "javascript&colon;XSS",
    "\x01javascript:XSS",
    "\u2028javascript:XSS",
    "vbscript:msgbox(1)",
    "data:text/html,<script>XSS</script>",
    f"data:text/html;base64,{_b64('<script>XSS</script>')}",
    "DATA:TEXT/HTML,<script>XSS</script>",
    "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='XSS'/>",
    f"data:image/svg+xml;base64,{_b64('<svg onload=XSS/>')}",
    'x" onerror="XSS',
    "x' onerror='XSS",
]


def _armed(template: str, n: int) -> str:
    return template.replace("XSS", f"top.{FLAG}={n}")


HTML_PAYLOADS = [
    Payload(n, _armed(t, n), _armed(shows or t, n)) for n, (t, shows) in enumerate(_HTML, 1)
]
MARKDOWN_PAYLOADS = [
    Payload(n, _armed(t, n), _armed(shows, n)) for n, (t, shows) in enumerate(_MARKDOWN, 100)
]
MESSAGE_PAYLOADS = HTML_PAYLOADS + MARKDOWN_PAYLOADS
URL_PAYLOADS = [(n, _armed(u, n)) for n, u in enumerate(_URLS, 200)]

# Widget fields that take plain text: a payload must show there exactly as sent.
TEXT_PAYLOADS = [p.text for p in HTML_PAYLOADS] + [html.unescape("&lt;b&gt;entity&lt;/b&gt;")]


def hostile_style_widgets() -> list[dict[str, object]]:
    """Widget trees whose style and structural props (not their text) carry the attack."""
    n = iter(range(300, 400))

    def xss() -> str:
        return f"top.{FLAG}={next(n)}"

    def url() -> str:
        return f"url(javascript:{xss()})"

    return [
        {
            "type": "Card",
            "background": url(),
            "padding": f"1px;background:{url()}",
            "border": {"size": 1, "color": f"red;background:{url()}"},
            "status": {"text": "hostile status", "favicon": f"javascript:{xss()}"},
            "onclick": xss(),
            "style": f"background:{url()}",
            "dangerouslySetInnerHTML": {"__html": f"<img src=x onerror={xss()}>"},
            "children": [
                {
                    "type": "Box",
                    "background": {"light": url(), "dark": f"expression({xss()})"},
                    "radius": f"1px;background:{url()}",
                    "width": f"calc(1px);background:{url()}",
                    "height": f"expression({xss()})",
                    "padding": {"top": f"1px;background:{url()}"},
                    "border": {"top": {"size": 1, "color": url()}},
                    "children": [
                        {
                            "type": "Text",
                            "value": "hostile style text",
                            "color": f"red;background-image:{url()}",
                            "onmouseover": xss(),
                            "innerHTML": f"<img src=x onerror={xss()}>",
                        },
                        {
                            "type": "Title",
                            "value": "hostile title",
                            "color": f"expression({xss()})",
                        },
                        {
                            "type": "Icon",
                            "name": f'"><img src=x onerror={xss()}>',
                            "color": url(),
                        },
                        {"type": "Icon", "name": f'lucide:x" onload="{xss()}'},
                        {
                            "type": "Button",
                            "label": "hostile button",
                            "iconStart": f'"><svg onload={xss()}>',
                            "href": f"javascript:{xss()}",
                            "onClickAction": {"type": "xss.click", "payload": {"v": "hostile"}},
                        },
                        {
                            "type": "Image",
                            "src": f"javascript:{xss()}",
                            "alt": f'"><img src=x onerror={xss()}>',
                            "size": f'1px" onerror="{xss()}',
                        },
                        {
                            "type": f"<img src=x onerror={xss()}>",
                            "value": "unknown type",
                        },
                        {
                            "type": "Markdown",
                            "value": f"[widget md link](javascript:{xss()}) <img src=x onerror={xss()}>",
                        },
                        {
                            "type": "Input",
                            "name": "innerHTML",
                            "placeholder": f'"><img src=x onerror={xss()}>',
                            "defaultValue": f'"><img src=x onerror={xss()}>',
                        },
                        {
                            "type": "Select",
                            "name": "querySelectorAll",
                            "placeholder": f"<img src=x onerror={xss()}>",
                            "options": [
                                {
                                    "value": f'"><img src=x onerror={xss()}>',
                                    "label": f"<b onmouseover={xss()}>opt</b>",
                                }
                            ],
                        },
                        {
                            "type": "Chart",
                            "data": [{"k": f"<img src=x onerror={xss()}>", "v": 1}],
                            "series": [
                                {
                                    "type": "bar",
                                    "dataKey": "v",
                                    "label": f"<svg onload={xss()}>",
                                    "color": url(),
                                }
                            ],
                            "xAxis": {
                                "dataKey": "k",
                                "labels": {"a": f"<img src=x onerror={xss()}>"},
                            },
                        },
                    ],
                }
            ],
        },
        {
            "type": "ListView",
            "children": [
                {
                    "type": "ListViewItem",
                    "onClickAction": {
                        "type": "xss.click",
                        "payload": {"v": f"<img src=x onerror={xss()}>"},
                    },
                    "children": [{"type": "Text", "value": f"<img src=x onerror={xss()}>"}],
                },
                {
                    "type": "ListViewItem",
                    "key": f'"><img src=x onerror={xss()}>',
                    "id": f'"><img src=x onerror={xss()}>',
                    "children": [{"type": "Caption", "value": "hostile key and id"}],
                },
            ],
        },
    ]
