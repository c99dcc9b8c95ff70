// Each layer of render/safe.ts on its own. The URL and CSS allowlists are called directly with
// input DOMPurify would normally have cleaned first, entry by entry, with near misses and
// boundaries; the HTML allowlist walk is driven where DOMPurify is off (happy-dom fails its
// self-check), so a hole in our walk cannot hide behind DOMPurify.
import { describe, expect, it } from "vitest";
import { createHtmlSanitizer, oneOf, safeColor, safeCssLength, safeCssLengthList, safeUrl } from "../../src/render/safe";

describe("safeUrl schemes", () => {
  it.each(["http://a.example/x", "https://a.example/x", "HTTPS://A.EXAMPLE/", "HtTp://a.example"])("links and images accept %s", (url) => {
    expect(safeUrl(url, "link")).toBe(url);
    expect(safeUrl(url, "image")).toBe(url);
  });

  it("accepts mailto for links only", () => {
    expect(safeUrl("mailto:a@b.example", "link")).toBe("mailto:a@b.example");
    expect(safeUrl("MailTo:a@b.example", "link")).toBe("MailTo:a@b.example");
    expect(safeUrl("mailto:a@b.example", "image")).toBeNull();
  });

  it.each([
    "httpx://a",
    "htt://a",
    "https+x://a",
    "ftp://a",
    "file:///etc/passwd",
    "javascript:x",
    "vbscript:x",
    "blob:x",
    "mailtox:a",
    "tel:1",
  ])("rejects the near miss %s", (url) => {
    expect(safeUrl(url, "link")).toBeNull();
    expect(safeUrl(url, "image")).toBeNull();
  });

  it("judges only a scheme at the start; a colon later in a relative URL is fine", () => {
    expect(safeUrl("/path?next=javascript:x", "link")).toBe("/path?next=javascript:x");
    expect(safeUrl("wiki/Foo_(bar)", "link")).toBe("wiki/Foo_(bar)");
    expect(safeUrl("//cdn.example/x.png", "image")).toBe("//cdn.example/x.png");
  });

  it("rejects non-strings and empty strings", () => {
    for (const v of [undefined, null, 1, {}, ["https://a"], "", "   ", "\u0000\t"]) expect(safeUrl(v, "link")).toBeNull();
  });
});

describe("safeUrl whitespace, controls and length", () => {
  it("trims leading and trailing spaces and C0 controls, keeps inner spaces", () => {
    expect(safeUrl("  https://a.example/x  ", "link")).toBe("https://a.example/x");
    expect(safeUrl("\u0001\t\n https://a.example/x \n\u001f", "link")).toBe("https://a.example/x");
    expect(safeUrl("https://a.example/a b  c", "link")).toBe("https://a.example/a b  c");
    expect(safeUrl(" /a b ", "link")).toBe("/a b");
  });

  it("rejects a control character inside, even in a relative URL", () => {
    expect(safeUrl("/a\tb", "link")).toBeNull();
    expect(safeUrl("/a\nb", "link")).toBeNull();
    expect(safeUrl("/a\u007fb", "link")).toBeNull();
    expect(safeUrl("java\tscript:x", "link")).toBeNull();
    expect(safeUrl("java\u00adscript:x", "link")).toBeNull();
    expect(safeUrl("java\u200bscript:x", "link")).toBeNull();
  });

  it("accepts up to 1,000,000 characters after trimming, not one more", () => {
    const base = "https://a.example/";
    const atLimit = base + "a".repeat(1_000_000 - base.length);
    expect(safeUrl(atLimit, "link")).toBe(atLimit);
    expect(safeUrl(`  ${atLimit}  `, "link")).toBe(atLimit);
    expect(safeUrl(`${atLimit}a`, "link")).toBeNull();
  });

  it("rejects UNC and drive paths", () => {
    for (const url of ["\\\\server\\share", "c:\\x", "C:/x", "z:\\"]) {
      expect(safeUrl(url, "link")).toBeNull();
      expect(safeUrl(url, "image")).toBeNull();
    }
  });
});

describe("safeUrl character references", () => {
  it.each([
    "javascript&colon;x",
    "javascript&COLON;x",
    "javascript&Colon;x",
    "javascript&colon//x",
    "javascript&#58;x",
    "javascript&#58//x",
    "javascript&#0000058;x",
    "javascript&#x3a;x",
    "javascript&#X3A;x",
    "javascript&#x3A//x",
    "java&tab;script:x",
    "java&newline;script:x",
    "java&#9;script:x",
    "java&#x110000;script:x",
    `java&#${"9".repeat(400)};script:x`,
    "h&period;ttp://a.example",
  ])("decodes %s as a browser would and rejects it", (url) => {
    expect(safeUrl(url, "link")).toBeNull();
  });

  it.each([
    // Each decodes to a character that keeps the string a relative URL; decoded to nothing it
    // would read as a scheme.
    "a&sol;javascript:x",
    "a&lpar;javascript:x",
    "a&rpar;javascript:x",
    "a&nbsp;javascript:x",
    "java&#x10ffff;script:x",
    "java&#1114111;script:x",
    // One pass only: `&amp;` becomes `&`, which is not a scheme character.
    "javascript&amp;:x",
    // Unknown names stay as written.
    "a&bogus;javascript:x",
  ])("keeps %s, which decodes to a relative URL", (url) => {
    expect(safeUrl(url, "link")).toBe(url);
  });
});

describe("safeUrl data images", () => {
  it.each(["png", "jpeg", "jpg", "gif", "webp", "PNG", "WebP"])("accepts data:image/%s for images only", (type) => {
    const url = `data:image/${type};base64,iVBORw0KGgo=`;
    expect(safeUrl(url, "image")).toBe(url);
    expect(safeUrl(url, "link")).toBeNull();
  });

  it.each([
    "data:image/png,AAAA",
    "data:image/png;charset=utf-8;base64,AAAA",
    "data:image/png;a=1;b=2,AAAA",
    "data:image/png;base64,",
    "data:image/png;base64,AA%20AA._~-+/=",
  ])("accepts the parameters and payload of %s", (url) => {
    expect(safeUrl(url, "image")).toBe(url);
  });

  it.each([
    "data:image/svg+xml;base64,PHN2Zz4=",
    "data:image/svg+xml,<svg onload=x>",
    "data:image/bmp;base64,AAAA",
    "data:image/pngx;base64,AAAA",
    "data:image/png;base64",
    "data:image/png;;base64,AAAA",
    "data:image/png;base64,AAAA<script>",
    'data:image/png;base64,AA"AA',
    "data:text/html,<script>x</script>",
    "data:,x",
  ])("rejects %s", (url) => {
    expect(safeUrl(url, "image")).toBeNull();
  });
});

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

describe("safeCssLength", () => {
  it.each(LENGTH_UNITS)("accepts the unit %s in any case, and in calc()", (unit) => {
    expect(safeCssLength(`12${unit}`)).toBe(`12${unit}`);
    expect(safeCssLength(`1.5${unit.toUpperCase()}`)).toBe(`1.5${unit.toUpperCase()}`);
    expect(safeCssLength(`-.5${unit}`)).toBe(`-.5${unit}`);
    if (unit !== "%") expect(safeCssLength(`calc(1${unit} + 2px)`)).toBe(`calc(1${unit} + 2px)`);
  });

  it.each(["12pxx", "12p", "12 px", "12dpi", "12deg", "12s", "px", "12px;", "1px}", "12e", "1.2.3px", "--1px", "12%%"])(
    "rejects the near miss %j",
    (v) => {
      expect(safeCssLength(v)).toBeNull();
    },
  );

  it("reads number syntax: signs, fractions, exponents", () => {
    expect(safeCssLength("+2px")).toBe("+2px");
    expect(safeCssLength("-2px")).toBe("-2px");
    expect(safeCssLength("1.px")).toBe("1.px");
    expect(safeCssLength("1e3px")).toBe("1e3px");
    expect(safeCssLength("1E-2em")).toBe("1E-2em");
  });

  it.each(["auto", "none", "fit-content", "min-content", "max-content", "stretch"])("accepts the keyword %s, lower-cased", (kw) => {
    expect(safeCssLength(kw)).toBe(kw);
    expect(safeCssLength(` ${kw.toUpperCase()} `)).toBe(kw);
  });

  it("turns numbers and bare numeric strings into pixels", () => {
    expect(safeCssLength(0)).toBe("0");
    expect(safeCssLength(-0)).toBe("0");
    expect(safeCssLength(12)).toBe("12px");
    expect(safeCssLength(1.23456)).toBe("1.235px");
    expect(safeCssLength("0")).toBe("0");
    expect(safeCssLength("0.0")).toBe("0");
    expect(safeCssLength("12")).toBe("12px");
    expect(safeCssLength(" 1.23456 ")).toBe("1.235px");
    expect(safeCssLength("1e2")).toBe("100px");
    for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null, undefined, true, {}]) {
      expect(safeCssLength(v)).toBeNull();
    }
  });

  it("trims, and accepts 200 characters after trimming but not 201", () => {
    expect(safeCssLength("  12px\n")).toBe("12px");
    const at200 = `${"0".repeat(197)}1px`;
    expect(safeCssLength(` ${at200} `)).toBe(at200);
    expect(safeCssLength(`0${at200}`)).toBeNull();
    expect(safeCssLength("")).toBeNull();
    expect(safeCssLength("   ")).toBeNull();
  });

  it.each([
    "calc(100% - 12px)",
    "CALC(1px + 2px)",
    "min(10px, 5vw)",
    "max(10px, 5vw)",
    "clamp(1rem, 2vw, 3rem)",
    "calc(min(1px, 2px) * 2)",
    "calc(1e3px + 1px)",
    "calc(var(--gap) * 2)",
    "calc(var(  --gap-2  ) + 1px)",
    "calc(100% / 3)",
  ])("accepts the expression %s", (v) => {
    expect(safeCssLength(v)).toBe(v);
  });

  it.each([
    "calc(1px + 2px",
    "calc(1px))",
    "calc((1px)",
    "calc(1px) + 1px",
    "1px+calc(1px)",
    "calc(#1px)",
    "calc(1px#)",
    "calc(1px; x)",
    "calc(1px + foo)",
    "calc(url(x))",
    "calc(expression(x))",
    "calc(var(-gap))",
    "calc(var(--g\\61 p))",
    "abs(1px)",
    "calc)(",
  ])("rejects the expression %s", (v) => {
    expect(safeCssLength(v)).toBeNull();
  });

  it("accepts var(--name) alone, with or without inner spaces", () => {
    for (const v of ["var(--gap)", "var(--a)", "var( --gap-2_x )", "VAR(--Gap)"]) expect(safeCssLength(v)).toBe(v);
    for (const v of ["var(--)", "var(-gap)", "var(--gap)x", "xvar(--gap)", "var(--gap, 1px)", "var(--g ap)", "var(--g.p)"]) {
      expect(safeCssLength(v)).toBeNull();
    }
  });
});

describe("safeCssLengthList", () => {
  it("accepts one to four lengths, normalizing whitespace", () => {
    expect(safeCssLengthList("8px")).toBe("8px");
    expect(safeCssLengthList("8px 12px")).toBe("8px 12px");
    expect(safeCssLengthList("  8px \t  12px\n")).toBe("8px 12px");
    expect(safeCssLengthList("1 2 3 4")).toBe("1px 2px 3px 4px");
    expect(safeCssLengthList("0 auto")).toBe("0 auto");
  });

  it("rejects five parts, an empty string and any bad part", () => {
    expect(safeCssLengthList("1px 2px 3px 4px 5px")).toBeNull();
    expect(safeCssLengthList("")).toBeNull();
    expect(safeCssLengthList("1px red")).toBeNull();
    expect(safeCssLengthList("1px;2px")).toBeNull();
  });

  it("passes non-strings to safeCssLength", () => {
    expect(safeCssLengthList(8)).toBe("8px");
    expect(safeCssLengthList(0)).toBe("0");
    expect(safeCssLengthList(null)).toBeNull();
  });
});

const NAMED_COLORS = (
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
).split(" ");

describe("safeColor", () => {
  it("accepts every named colour in any case, lower-cased and trimmed", () => {
    for (const name of NAMED_COLORS) {
      expect(safeColor(name)).toBe(name);
      expect(safeColor(` ${name.toUpperCase()} `)).toBe(name);
    }
    expect(safeColor("currentColor")).toBe("currentcolor");
  });

  it.each(["redd", "blu", "gray-500", "primary", "red blue", "red;", "inherit", "initial", "Red!important"])(
    "rejects the near miss %j",
    (v) => {
      expect(safeColor(v)).toBeNull();
    },
  );

  it("accepts hex with 3, 4, 6 or 8 digits only", () => {
    for (const v of ["#fff", "#ffff", "#a0b1c2", "#A0B1C2D3", "#FfF"]) expect(safeColor(v)).toBe(v);
    expect(safeColor(" #fff\n")).toBe("#fff");
    for (const v of ["#", "#f", "#ff", "#fffff", "#fffffff", "#fffffffff", "#ggg", "#ffg", "x#fff", "#fffz", "fff", "##fff"]) {
      expect(safeColor(v)).toBeNull();
    }
  });

  it.each(["rgb", "rgba", "hsl", "hsla", "hwb", "lab", "lch", "oklab", "oklch", "RGB", "OkLch"])(
    "accepts %s() with numeric arguments",
    (fn) => {
      expect(safeColor(`${fn}(1, 2, 3)`)).toBe(`${fn}(1, 2, 3)`);
      expect(safeColor(`${fn}(1 2% 3 / 50%)`)).toBe(`${fn}(1 2% 3 / 50%)`);
    },
  );

  it.each(["deg", "rad", "grad", "turn", "DEG"])("accepts the angle unit %s", (unit) => {
    expect(safeColor(`hsl(1${unit} 50% 50%)`)).toBe(`hsl(1${unit} 50% 50%)`);
  });

  it("accepts none and exponents in colour functions", () => {
    expect(safeColor("lab(none 0 0)")).toBe("lab(none 0 0)");
    expect(safeColor("rgb(1e2, -0.5, +3)")).toBe("rgb(1e2, -0.5, +3)");
    expect(safeColor("rgb()")).toBe("rgb()");
  });

  it.each([
    "rgbx(1, 2, 3)",
    "xrgb(1, 2, 3)",
    "color(srgb 1 0 0)",
    "rgb(1px, 0, 0)",
    "hsl(1degx 0 0)",
    "rgb(calc(1) 0 0)",
    "rgb(1;0;0)",
    "rgb(#1, 2, 3)",
    "rgb(1, 2, 3#)",
    "rgb(1, 2, 3) x",
    "rgb(1, 2, 3",
    "url(x)",
    "rgb(var(--x), 0, 0)",
  ])("rejects %s", (v) => {
    expect(safeColor(v)).toBeNull();
  });

  it("accepts var(--name) only as the whole value", () => {
    for (const v of ["var(--brand)", "var( --brand-2_x )", "VAR(--a)"]) expect(safeColor(v)).toBe(v);
    for (const v of ["var(--brand)x", "xvar(--brand)", "var(--)", "var(-a)", "var(--a b)"]) expect(safeColor(v)).toBeNull();
  });

  it("trims, and accepts 100 characters after trimming but not 101", () => {
    const at100 = `rgb(${"0".repeat(91)},0,0)`;
    expect(at100).toHaveLength(100);
    expect(safeColor(`  ${at100} `)).toBe(at100);
    expect(safeColor(`rgb(0${at100.slice(4)}`)).toBeNull();
    expect(safeColor("")).toBeNull();
    expect(safeColor("  ")).toBeNull();
  });

  it("rejects non-strings", () => {
    for (const v of [0, 0xffffff, null, undefined, ["red"], { toString: () => "red" }]) expect(safeColor(v)).toBeNull();
  });
});

describe("oneOf", () => {
  const sizes = ["sm", "md", "lg"] as const;
  it("returns the value only if it is exactly one of the allowed strings", () => {
    expect(oneOf("md", sizes)).toBe("md");
    expect(oneOf("xl", sizes)).toBeUndefined();
    expect(oneOf("MD", sizes)).toBeUndefined();
    expect(oneOf(" md", sizes)).toBeUndefined();
    expect(oneOf(undefined, sizes)).toBeUndefined();
    expect(oneOf(1, ["1"])).toBeUndefined();
    expect(oneOf("x", [])).toBeUndefined();
  });
});

// The allowlist walk alone: happy-dom makes DOMPurify fail its canary, so createHtmlSanitizer
// runs only our layer here (asserted first, so these tests cannot silently test DOMPurify).
describe("HTML allowlist walk without DOMPurify", () => {
  const s = createHtmlSanitizer(window);
  const clean = (html: string): string => s.toHtml(html);
  const box = (html: string): HTMLDivElement => {
    const div = document.createElement("div");
    div.append(s.toFragment(html));
    return div;
  };

  it("is the only layer here", () => {
    expect(s.usesDOMPurify).toBe(false);
  });

  it.each(
    "abbr b bdi bdo blockquote cite code dd del details dfn div dl dt em figcaption figure h1 h2 h3 h4 h5 h6 i ins kbd li mark ol p pre q rp rt ruby s samp small span strong sub summary sup time u ul var"
      .split(" ")
      .map((t) => [t]),
  )("keeps <%s>", (tag) => {
    expect(clean(`<${tag}>x</${tag}>`)).toBe(`<${tag}>x</${tag}>`);
  });

  it("keeps void tags and table parts", () => {
    expect(clean("a<br>b<hr><wbr>")).toBe("a<br>b<hr><wbr>");
    const table = box(
      "<table><caption>c</caption><colgroup span=2><col span=1></colgroup><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody><tfoot><tr><td>f</td></tr></tfoot></table>",
    );
    for (const tag of ["table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td"]) {
      expect(table.querySelector(tag), tag).not.toBeNull();
    }
    expect(table.querySelector("colgroup")?.getAttribute("span")).toBe("2");
    expect(table.querySelector("col")?.getAttribute("span")).toBe("1");
  });

  it.each(["font", "center", "marquee", "custom-x", "blink", "section", "nav", "main"])("unwraps <%s>, keeping its text", (tag) => {
    expect(clean(`<div>a<${tag} title="t">b</${tag}>c</div>`)).toBe("<div>abc</div>");
  });

  // Dropped with their contents; head-level and framing tags the HTML parser itself ignores in a
  // fragment, so for those only the tag is checked.
  const CONTAINER_DROPPED =
    "script style template iframe object applet svg math noscript noembed noframes xmp title textarea select option optgroup button form audio video canvas picture portal dialog slot".split(
      " ",
    );
  it.each(CONTAINER_DROPPED.map((t) => [t]))("drops <%s> with everything inside", (tag) => {
    const out = clean(`<p>a<${tag}>SECRET<b>x</b></${tag}>b</p>`);
    expect(out).not.toContain("SECRET");
    expect(out).not.toContain(`<${tag}`);
    expect(out.startsWith("<p>a")).toBe(true);
  });

  it.each(["embed", "frame", "frameset", "base", "link", "meta", "head", "source", "track", "plaintext"].map((t) => [t]))(
    "drops <%s>",
    (tag) => {
      expect(clean(`<p>a<${tag} href="https://x" src="https://x">b</p>`)).not.toContain(`<${tag}`);
    },
  );

  it("removes comments", () => {
    expect(clean("a<!-- <img src=x> -->b<p>c<!--x-->d</p>")).toBe("ab<p>cd</p>");
  });

  it("keeps global attributes, drops the rest", () => {
    const out = box(`<span title="t" lang="en" dir="rtl" id="i" name="n" style="color:red" onclick="x()" data-x="1" tabindex="0">x</span>`);
    const span = out.querySelector("span")!;
    expect(span.getAttributeNames().sort()).toEqual(["dir", "lang", "title"]);
  });

  it("keeps well-formed aria- attributes only", () => {
    const span = box(
      `<span aria-label="l" aria-describedby="d" aria-x1="y" aria-="z" xaria-label="w" ARIA-HIDDEN="true">x</span>`,
    ).querySelector("span")!;
    expect(span.getAttributeNames().sort()).toEqual(["aria-describedby", "aria-hidden", "aria-label"]);
  });

  it.each([
    ["td", "<table><tr><td colspan=2 rowspan=3 align=left scope=row width=9>x</td></tr></table>", ["align", "colspan", "rowspan"]],
    ["th", "<table><tr><th colspan=2 rowspan=3 align=left scope=row width=9>x</th></tr></table>", ["align", "colspan", "rowspan", "scope"]],
    ["ol", "<ol start=3 type=a reversed value=1><li value=2 start=1>x</li></ol>", ["reversed", "start", "type"]],
    ["li", "<ol><li value=2 start=1>x</li></ol>", ["value"]],
    ["time", "<time datetime=2020-01-01 value=1>x</time>", ["datetime"]],
    ["details", "<details open name=n><summary>s</summary>x</details>", ["open"]],
    [
      "img",
      `<img src="https://a.example/i.png" alt="a" width=1 height=2 srcset="x 1x" onerror="x()">`,
      ["alt", "height", "loading", "referrerpolicy", "src", "width"],
    ],
  ])("keeps only the allowed attributes of <%s>", (tag, html, attrs) => {
    const el = box(html).querySelector(tag)!;
    expect(el.getAttributeNames().sort()).toEqual(attrs);
  });

  it("filters classes to our own", () => {
    expect(clean(`<code class="language-py evil ckw-md-code">x</code>`)).toBe(`<code class="language-py ckw-md-code">x</code>`);
    expect(clean(`<code class="language-c++ language-c#">x</code>`)).toBe(`<code class="language-c++ language-c#">x</code>`);
    expect(clean(`<span class="evil other">x</span>`)).toBe("<span>x</span>");
    expect(clean(`<span class="">x</span>`)).toBe("<span>x</span>");
    expect(clean(`<span class="xlanguage-py ckw-md-codex xckw-md-code language-">x</span>`)).toBe("<span>x</span>");
    expect(clean(`<span class="language-${"a".repeat(40)}">x</span>`)).toBe(`<span class="language-${"a".repeat(40)}">x</span>`);
    expect(clean(`<span class="language-${"a".repeat(41)}">x</span>`)).toBe("<span>x</span>");
    expect(clean(`<span class="language-a<b">x</span>`)).toBe("<span>x</span>");
  });

  it("sends links to a new tab without an opener, with the cleaned URL", () => {
    expect(clean(`<a href="  https://a.example/x  " target="_self" rel="opener" download>t</a>`)).toBe(
      `<a href="https://a.example/x" target="_blank" rel="noopener noreferrer">t</a>`,
    );
    expect(clean(`<a href="mailto:a@b.example">m</a>`)).toBe(
      `<a href="mailto:a@b.example" target="_blank" rel="noopener noreferrer">m</a>`,
    );
  });

  it("turns a link without a safe URL into its text", () => {
    expect(clean(`<p><a href="javascript:x()">t<b>b</b></a></p>`)).toBe("<p>t<b>b</b></p>");
    expect(clean(`<p><a>t</a></p>`)).toBe("<p>t</p>");
    expect(clean(`<p><a href="data:image/png;base64,AAAA">t</a></p>`)).toBe("<p>t</p>");
  });

  it("loads images lazily without a referrer, or shows their alt text", () => {
    expect(clean(`<img src=" https://a.example/i.png" alt="a">`)).toBe(
      `<img src="https://a.example/i.png" alt="a" loading="lazy" referrerpolicy="no-referrer">`,
    );
    expect(clean(`<p><img src="javascript:x" alt="desc">.</p>`)).toBe("<p>desc.</p>");
    expect(clean(`<p><img src="mailto:a@b" alt="m">.</p>`)).toBe("<p>m.</p>");
    expect(clean(`<p>a<img alt="no src">b</p>`)).toBe("<p>ano srcb</p>");
    expect(clean(`<p>a<img src="javascript:x">b</p>`)).toBe("<p>ab</p>");
    expect(box(`<p>a<img src="javascript:x">b</p>`).querySelector("p")!.childNodes).toHaveLength(3);
  });

  it("makes every input a disabled checkbox", () => {
    for (const html of [`<input type="text" value="v" name="n">`, `<input type="checkbox" checked>`, "<input>"]) {
      const input = box(html).querySelector("input")!;
      expect(input.getAttribute("type")).toBe("checkbox");
      expect(input.hasAttribute("disabled")).toBe(true);
      expect(input.hasAttribute("value")).toBe(false);
    }
    expect(box(`<input type="checkbox" checked>`).querySelector("input")!.hasAttribute("checked")).toBe(true);
    expect(box(`<span type="x" disabled>y</span>`).querySelector("span")!.getAttributeNames()).toEqual([]);
  });

  it("walks nested content", () => {
    expect(clean(`<div><custom-x><p><b onclick="x()">a</b><script>x()</script></p></custom-x></div>`)).toBe("<div><p><b>a</b></p></div>");
  });

  it("returns a fragment owned by this document", () => {
    const fragment = s.toFragment("<b>x</b>");
    expect(fragment.ownerDocument).toBe(document);
    expect(fragment.childNodes).toHaveLength(1);
  });
});
