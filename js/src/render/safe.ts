// Sanitizing helpers shared by the whole front end. Everything that reaches the DOM from model
// output or widget JSON is untrusted: URLs go through `safeUrl`, CSS values through `safeCssLength`
// / `safeColor`, and HTML only through `sanitizeHtml` (DOMPurify with our URL policy on top).

import type { Config, DOMPurify as Purifier } from "dompurify";
import DOMPurify from "dompurify";

export type UrlKind = "image" | "link";

// Image data URLs we render. SVG is left out on purpose: an SVG document can carry script.
const DATA_IMAGE = /^data:image\/(?:png|jpeg|jpg|gif|webp)(?:;[a-z0-9=.+-]+)*(?:;base64)?,[a-z0-9+/=%\s._~-]*$/i;
const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const LINK_SCHEMES = new Set(["http", "https", "mailto"]);
const IMAGE_SCHEMES = new Set(["http", "https"]);

// The characters a URL parser throws away (tab, newline, other C0 controls and spaces), so that
// `java\tscript:` is judged as the browser will read it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const IGNORED_BY_URL_PARSER = /[\u0000-\u0020\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\ufeff]/g;

const NAMED_ENTITIES: Record<string, string> = {
  colon: ":",
  tab: "\t",
  newline: "\n",
  sol: "/",
  lpar: "(",
  rpar: ")",
  period: ".",
  amp: "&",
  nbsp: "\u00a0",
};

/** Decodes HTML character references, as a browser would if the string ever met an HTML parser. */
function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (whole, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "";
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/**
 * Returns `url` if it is safe to use as an image `src` or a link `href`, else `null`.
 *
 * Allowed: `http:`/`https:`, relative and protocol-relative URLs, `mailto:` for links, and
 * `data:image/(png|jpeg|gif|webp)` for images. Everything else (`javascript:`, `vbscript:`,
 * `data:text/html`, SVG data URLs, `file:`, ...) is rejected, also when hidden by entities,
 * whitespace, control characters or letter case.
 */
export function safeUrl(url: unknown, kind: UrlKind): string | null {
  if (typeof url !== "string") return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: trims what URL parsers trim
  const cleaned = url.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "");
  if (cleaned === "" || cleaned.length > 1_000_000) return null;
  // Judge both the raw string and its entity-decoded form; both must be harmless.
  for (const candidate of [cleaned, decodeEntities(cleaned)]) {
    const probe = candidate.replace(IGNORED_BY_URL_PARSER, "");
    if (probe.startsWith("\\\\") || /^[a-z]:[\\/]/i.test(probe)) return null; // UNC / drive paths
    const match = SCHEME.exec(probe);
    if (!match) continue; // relative URL
    const scheme = match[1]!.toLowerCase();
    if (scheme === "data") {
      if (kind !== "image" || !DATA_IMAGE.test(probe)) return null;
      continue;
    }
    if (!(kind === "image" ? IMAGE_SCHEMES : LINK_SCHEMES).has(scheme)) return null;
  }
  // A relative URL must not smuggle a scheme in after an entity or an ignored character.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (/[\u0000-\u001f\u007f]/.test(cleaned)) return null;
  return cleaned;
}

/**
 * Returns `url` if `safeUrl` allows it as an image and, when `allowedDomains` (ChatKit's
 * `allowed_image_domains` of the thread) is a non-empty list, it does not load a remote image from
 * outside those domains; else `null`. A domain also admits its subdomains (`*.` in front is the
 * same). `data:` images and URLs of this page's own origin are not remote. The URL is judged as
 * the browser resolves it, so a protocol-relative `//host/x.png` or `/\\host/x.png` is remote.
 */
export function safeImageUrl(url: unknown, allowedDomains?: readonly string[] | null): string | null {
  const safe = safeUrl(url, "image");
  if (!safe || !allowedDomains?.length) return safe;
  let resolved: URL;
  try {
    resolved = new URL(safe, globalThis.location?.href);
  } catch {
    return null;
  }
  if (resolved.protocol === "data:") return safe;
  if (globalThis.location && resolved.origin === globalThis.location.origin) return safe;
  const host = resolved.hostname.toLowerCase().replace(/\.$/, "");
  const ok = allowedDomains.some((d) => {
    if (typeof d !== "string") return false;
    const domain = d.trim().toLowerCase().replace(/^\*\./, "").replace(/\.$/, "");
    return domain !== "" && (host === domain || host.endsWith(`.${domain}`));
  });
  return ok ? safe : null;
}

const LENGTH_UNITS = [
  "px",
  "em",
  "rem",
  "%",
  "vh",
  "vw",
  "vmin",
  "vmax",
  "dvh",
  "dvw",
  "svh",
  "svw",
  "lvh",
  "lvw",
  "ch",
  "ex",
  "lh",
  "pt",
  "pc",
  "cm",
  "mm",
  "in",
  "q",
  "cqw",
  "cqh",
  "cqi",
  "cqb",
  "cqmin",
  "cqmax",
  "fr",
];
const LENGTH = new RegExp(`^[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?(${LENGTH_UNITS.join("|")})?$`, "i");
const LENGTH_KEYWORDS = new Set(["auto", "none", "fit-content", "min-content", "max-content", "stretch", "0"]);
const MATH_FUNCTIONS = new Set(["calc", "min", "max", "clamp", "var"]);

/** `calc()`/`min()`/`max()`/`clamp()` built only from numbers, units, operators and `var(--x)`. */
function isSafeMathExpression(s: string): boolean {
  if (!/^(calc|min|max|clamp)\(/i.test(s) || !s.endsWith(")")) return false;
  if (!/^[a-z0-9.+\-*/%(),\s]+$/i.test(s)) return false;
  let depth = 0;
  for (const ch of s) {
    if (ch === "(") depth++;
    else if (ch === ")" && --depth < 0) return false;
  }
  if (depth !== 0) return false;
  // Every word must be a unit, a math function, or part of a custom-property name.
  const withoutVars = s.replace(/var\(\s*--[a-z0-9_-]+\s*\)/gi, "0");
  const words = withoutVars.match(/[a-z][a-z-]*/gi) ?? [];
  return words.every((w) => MATH_FUNCTIONS.has(w.toLowerCase()) || LENGTH_UNITS.includes(w.toLowerCase()) || w === "e");
}

/**
 * A CSS length for a style property, or `null`. Numbers become pixels; strings pass only if they
 * are a plain length (`12px`, `50%`, `1.5rem`), a sizing keyword, or a `calc()`-style expression of
 * lengths. Anything else (`url(...)`, `expression(...)`, `;`, `}` ...) is rejected.
 */
export function safeCssLength(v: unknown): string | null {
  if (typeof v === "number") return Number.isFinite(v) ? (v === 0 ? "0" : `${round(v)}px`) : null;
  if (typeof v !== "string") return null;
  const s = v.trim();
  if (s === "" || s.length > 200) return null;
  const lower = s.toLowerCase();
  if (LENGTH_KEYWORDS.has(lower)) return lower;
  const m = LENGTH.exec(s);
  if (m) {
    if (m[1]) return s;
    const n = Number(s);
    return n === 0 ? "0" : `${round(n)}px`; // a bare number in a string means pixels, as for numbers
  }
  if (isSafeMathExpression(s)) return s;
  if (/^var\(\s*--[a-z0-9_-]+\s*\)$/i.test(s)) return s;
  return null;
}

/** Up to four space-separated lengths (`"8px 12px"`), for padding and margin shorthands. */
export function safeCssLengthList(v: unknown): string | null {
  if (typeof v !== "string") return safeCssLength(v);
  const parts = v.trim().split(/\s+/);
  if (parts.length === 0 || parts.length > 4) return null;
  const out: string[] = [];
  for (const p of parts) {
    const l = safeCssLength(p);
    if (l === null) return null;
    out.push(l);
  }
  return out.join(" ");
}

const NAMED_COLORS = new Set(
  (
    "aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue blueviolet brown " +
    "burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk crimson cyan darkblue darkcyan " +
    "darkgoldenrod darkgray darkgreen darkgrey darkkhaki darkmagenta darkolivegreen darkorange darkorchid darkred " +
    "darksalmon darkseagreen darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink " +
    "deepskyblue dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite gold " +
    "goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki lavender lavenderblush " +
    "lawngreen lemonchiffon lightblue lightcoral lightcyan lightgoldenrodyellow lightgray lightgreen lightgrey " +
    "lightpink lightsalmon lightseagreen lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime " +
    "limegreen linen magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen " +
    "mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream mistyrose moccasin " +
    "navajowhite navy oldlace olive olivedrab orange orangered orchid palegoldenrod palegreen paleturquoise " +
    "palevioletred papayawhip peachpuff peru pink plum powderblue purple rebeccapurple red rosybrown royalblue " +
    "saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue slateblue slategray slategrey snow " +
    "springgreen steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow yellowgreen " +
    "transparent currentcolor"
  ).split(" "),
);
const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;
const COLOR_FUNCTION = /^(rgba?|hsla?|hwb|lab|lch|oklab|oklch)\(([^()]*)\)$/i;
const COLOR_FUNCTION_WORDS = new Set(["deg", "rad", "grad", "turn", "none", "e"]);

/**
 * A CSS colour, or `null`: hex, `rgb()/hsl()/hwb()/lab()/lch()/oklab()/oklch()` with numeric
 * arguments, a named colour, or `var(--name)`. Design tokens (`gray-500`, `primary`) are resolved
 * by the widget renderer before this is consulted.
 */
export function safeColor(v: unknown): string | null {
  if (typeof v !== "string") return null;
  const s = v.trim();
  if (s === "" || s.length > 100) return null;
  if (HEX_COLOR.test(s)) return s;
  if (NAMED_COLORS.has(s.toLowerCase())) return s.toLowerCase();
  const fn = COLOR_FUNCTION.exec(s);
  if (fn) {
    const args = fn[2]!;
    if (!/^[a-z0-9.,%\s/+-]*$/i.test(args)) return null;
    const words = args.match(/[a-z]+/gi) ?? [];
    return words.every((w) => COLOR_FUNCTION_WORDS.has(w.toLowerCase())) ? s : null;
  }
  if (/^var\(\s*--[a-z0-9_-]+\s*\)$/i.test(s)) return s;
  return null;
}

/** `value` if it is one of `allowed`, else `undefined` (for class names and CSS keywords). */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === "string" && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

// --- HTML -------------------------------------------------------------------------------------
//
// Two layers. DOMPurify does the heavy lifting (namespace confusion, mutation XSS, parser quirks)
// where it can work: it checks itself against a canary first, because in some DOM
// implementations (happy-dom, which the unit tests use) it silently misbehaves. Then our own
// allowlist walk runs on whatever came out: known HTML tags only, a few attributes per tag, URLs
// through safeUrl, links opened in a new tab without an opener.

const XHTML_NS = "http://www.w3.org/1999/xhtml";

/** Tags kept. Anything else is unwrapped (its text stays) unless it is in DROPPED_TAGS. */
const ALLOWED_TAGS = new Set(
  (
    "a abbr b bdi bdo blockquote br caption cite code col colgroup dd del details dfn div dl dt em " +
    "figcaption figure h1 h2 h3 h4 h5 h6 hr i img input ins kbd li mark ol p pre q rp rt ruby s samp " +
    "small span strong sub summary sup table tbody td tfoot th thead time tr u ul var wbr"
  ).split(" "),
);

/** Tags removed together with everything inside them. */
const DROPPED_TAGS = new Set(
  (
    "script style template iframe frame frameset object embed applet svg math noscript noembed " +
    "noframes xmp plaintext title textarea select option optgroup button form base link meta head " +
    "audio video source track canvas picture portal dialog slot"
  ).split(" "),
);

const GLOBAL_ATTRS = new Set(["title", "lang", "dir", "class"]);
const TAG_ATTRS: Record<string, Set<string>> = {
  a: new Set(["href"]),
  img: new Set(["src", "alt", "width", "height"]),
  td: new Set(["colspan", "rowspan", "align"]),
  th: new Set(["colspan", "rowspan", "align", "scope"]),
  ol: new Set(["start", "type", "reversed"]),
  li: new Set(["value"]),
  col: new Set(["span"]),
  colgroup: new Set(["span"]),
  time: new Set(["datetime"]),
  details: new Set(["open"]),
  input: new Set(["type", "checked", "disabled"]),
};
// Class names we emit ourselves (code block languages); others could restyle the page.
const ALLOWED_CLASS = /^(language-[\w+#.-]{1,40}|ckw-md-code)$/;

function cleanAttributes(el: Element, tag: string): void {
  const allowed = TAG_ATTRS[tag];
  for (const name of el.getAttributeNames()) {
    const lower = name.toLowerCase();
    const keep = GLOBAL_ATTRS.has(lower) || (allowed?.has(lower) ?? false) || (lower.startsWith("aria-") && /^aria-[a-z]+$/.test(lower));
    if (!keep) el.removeAttribute(name);
  }
  if (el.hasAttribute("class")) {
    const classes = (el.getAttribute("class") ?? "").split(/\s+/).filter((c) => ALLOWED_CLASS.test(c));
    if (classes.length) el.setAttribute("class", classes.join(" "));
    else el.removeAttribute("class");
  }
  if (tag === "a") {
    const href = el.hasAttribute("href") ? safeUrl(el.getAttribute("href"), "link") : null;
    if (href === null) el.removeAttribute("href");
    else el.setAttribute("href", href);
    el.setAttribute("target", "_blank");
    el.setAttribute("rel", "noopener noreferrer");
  } else if (tag === "img") {
    const src = safeUrl(el.getAttribute("src"), "image");
    if (src === null) el.removeAttribute("src");
    else el.setAttribute("src", src);
    el.setAttribute("loading", "lazy");
    el.setAttribute("referrerpolicy", "no-referrer");
  } else if (tag === "input") {
    // Only GFM task-list checkboxes, and they are not for ticking.
    el.setAttribute("type", "checkbox");
    el.setAttribute("disabled", "");
  }
}

/** Enforces the allowlist on `parent`'s subtree in place. */
function enforceAllowlist(parent: ParentNode): void {
  for (const node of Array.from(parent.childNodes)) {
    if (node.nodeType === 3) continue; // text
    if (node.nodeType !== 1) {
      node.parentNode?.removeChild(node); // comments, processing instructions, CDATA
      continue;
    }
    const el = node as Element;
    const tag = (el.localName || el.nodeName).toLowerCase();
    const ns = el.namespaceURI;
    if ((ns !== null && ns !== XHTML_NS) || DROPPED_TAGS.has(tag)) {
      el.parentNode?.removeChild(el);
      continue;
    }
    enforceAllowlist(el);
    if (!ALLOWED_TAGS.has(tag)) {
      el.replaceWith(...Array.from(el.childNodes));
      continue;
    }
    cleanAttributes(el, tag);
    if (tag === "a" && !el.hasAttribute("href")) {
      // A link whose URL was unsafe goes nowhere: show its text as text, not as a dead link.
      el.replaceWith(...Array.from(el.childNodes));
      continue;
    }
    if (tag === "img" && !el.hasAttribute("src")) {
      // An image we will not load: keep its description.
      el.replaceWith(el.ownerDocument.createTextNode(el.getAttribute("alt") ?? ""));
    }
  }
}

const PURIFY_CONFIG: Config = {
  USE_PROFILES: { html: true }, // no SVG or MathML: neither is needed in chat text
  FORBID_TAGS: [...DROPPED_TAGS],
  FORBID_ATTR: ["style", "srcset", "action", "formaction", "background", "ping", "id", "name"],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: true,
};

const CANARY_IN = `<p><a href="https://example.com/">a</a><img src="https://example.com/i.png" onerror="x()"><script>x()</script><b>b</b></p>`;
const CANARY_OUT = `<p><a href="https://example.com/">a</a><img src="https://example.com/i.png"><b>b</b></p>`;

export interface HtmlSanitizer {
  /** Sanitized HTML as a fragment of `win.document` (no serialize/parse round trip). */
  toFragment(html: string): DocumentFragment;
  /** Sanitized HTML as a string, safe to assign to `innerHTML`. */
  toHtml(html: string): string;
  /** Whether DOMPurify passed its self-check in this DOM and runs as the first layer. */
  readonly usesDOMPurify: boolean;
}

/** A sanitizer for documents of `win` (the page's window unless testing). */
export function createHtmlSanitizer(win: Window): HtmlSanitizer {
  const purify: Purifier = DOMPurify(win as unknown as Parameters<typeof DOMPurify>[0]);
  let usesDOMPurify = false;
  try {
    usesDOMPurify = purify.isSupported && purify.sanitize(CANARY_IN, PURIFY_CONFIG) === CANARY_OUT;
  } catch {
    usesDOMPurify = false;
  }
  const toFragment = (html: string): DocumentFragment => {
    if (usesDOMPurify) {
      const fragment = purify.sanitize(String(html), { ...PURIFY_CONFIG, RETURN_DOM_FRAGMENT: true });
      enforceAllowlist(fragment);
      return fragment;
    }
    // Parsing into a <template> is inert (nothing loads, no handler runs); clean it there, before
    // the nodes are adopted by the live document (which appending the fragment does), where an
    // <img> would start loading.
    const template = win.document.createElement("template");
    template.innerHTML = String(html);
    enforceAllowlist(template.content);
    return template.content;
  };
  return {
    toFragment,
    toHtml(html: string): string {
      const holder = win.document.createElement("div");
      holder.append(toFragment(html));
      return holder.innerHTML;
    },
    usesDOMPurify,
  };
}

let pageSanitizer: HtmlSanitizer | null = null;

function sanitizer(): HtmlSanitizer {
  pageSanitizer ??= createHtmlSanitizer(window);
  return pageSanitizer;
}

/** Sanitizes untrusted HTML to a string that is safe to assign to `innerHTML`. */
export function sanitizeHtml(html: string): string {
  return sanitizer().toHtml(html);
}

/**
 * Sanitizes untrusted HTML straight to a DocumentFragment. Prefer this to
 * `el.innerHTML = sanitizeHtml(...)`: it skips the serialize/parse round trip that mutation XSS
 * relies on.
 */
export function sanitizeHtmlToFragment(html: string): DocumentFragment {
  return sanitizer().toFragment(html);
}
