// Bundles the front end into ../chatkit_jupyter/static/: widget.js + widget.css (the chat) and
// view.js + view.css (a single ChatKit widget, WidgetView), which the Python package serves as
// the anywidgets' ESM and CSS; and embed.js, the script `nbconvert --to chatkit` inlines to draw
// WidgetViews in an exported page offline. It also writes lucide-icons.json: every lucide icon,
// from which the kernel sends a WidgetView the few `lucide:` icons its widget uses that view.js
// does not bundle. `--watch` rebuilds on change.
import * as esbuild from "esbuild";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes("--watch");
const outdir = path.join(here, "../chatkit_jupyter/static");

// DOMPurify builds its instance when imported and touches nothing global, but its package does not
// say so: without this, every bundle that imports safe.ts for its URL and CSS checks carries it
// (30 kB). Only markdown.js, which sanitizes HTML, needs it.
const pureDompurify = {
  name: "pure-dompurify",
  setup(build) {
    build.onResolve({ filter: /^dompurify$/ }, async (args) => {
      if (args.pluginData === "pure-dompurify") return undefined;
      const resolved = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: "pure-dompurify" });
      return { ...resolved, sideEffects: false };
    });
  },
};

const options = {
  entryPoints: {
    widget: path.join(here, "src/index.ts"),
    view: path.join(here, "src/widgets/view.ts"),
    loader: path.join(here, "src/loader.ts"),
    markdown: path.join(here, "src/render/markdown-part.ts"),
  },
  outdir,
  bundle: true,
  format: "esm",
  target: ["es2020"],
  minify: !watch && !process.env.NO_MINIFY,
  sourcemap: watch ? "inline" : false,
  legalComments: "none",
  logLevel: "info",
  plugins: [pureDompurify],
};

// An IIFE, no exports: the exporter's template inlines it in a <script type="module">.
const embed = {
  ...options,
  entryPoints: { embed: path.join(here, "src/static/embed.ts") },
  format: "iife",
};

/** `"arrow-up-right"` -> `"ArrowUpRight"`, as icons.ts turns `lucide:` names into export names. */
const pascalCase = (kebab) =>
  kebab
    .split(/[-_\s]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
/** `"XCircle"` -> `"x-circle"`: lucide's aliases are export names only. */
const kebabCase = (name) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();

/**
 * lucide-icons.json: `icons` by lucide's file names (kebab-case, as ChatKit writes `lucide:`
 * names), `aliases` (old name -> file name) and `bundled`, the file names of those view.js
 * carries, which the kernel need not send. The kernel matches names by pascalCase, as icons.ts.
 */
async function writeLucideIcons() {
  const require = createRequire(import.meta.url);
  const lucide = require("lucide");
  const dir = path.join(path.dirname(require.resolve("lucide/package.json")), "dist/esm/icons");
  const files = (await readdir(dir))
    .filter((f) => f.endsWith(".mjs"))
    .map((f) => f.slice(0, -4))
    .sort();
  const icons = {};
  const fileOf = new Map();
  for (const file of files) {
    const node = lucide.icons[pascalCase(file)];
    if (!node) throw new Error(`lucide has no export ${pascalCase(file)} for icons/${file}.mjs`);
    icons[file] = node;
    fileOf.set(node, file);
  }
  const aliases = {};
  for (const [name, node] of Object.entries(lucide.icons)) {
    const alias = kebabCase(name);
    if (pascalCase(fileOf.get(node) ?? "") === name || pascalCase(alias) !== name) continue;
    aliases[alias] = fileOf.get(node);
  }
  // What view.js bundles, from icons.ts itself so the list cannot drift from it.
  const probe = await esbuild.build({
    entryPoints: [path.join(here, "src/widgets/icons.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    logLevel: "silent",
  });
  const { bundledIconNames } = await import(`data:text/javascript;base64,${Buffer.from(probe.outputFiles[0].contents).toString("base64")}`);
  // Some are aliases (BookMarked): listed by the name icons.ts finds them under, in kebab-case.
  const bundled = bundledIconNames().map((name) => {
    const kebab = files.find((f) => pascalCase(f) === name) ?? kebabCase(name);
    if (pascalCase(kebab) !== name || !lucide.icons[name]) throw new Error(`icons.ts bundles ${name}, not in lucide`);
    return kebab;
  });
  const json = { lucide: require("lucide/package.json").version, bundled, aliases, icons };
  await mkdir(outdir, { recursive: true });
  await writeFile(path.join(outdir, "lucide-icons.json"), JSON.stringify(json));
}

await writeLucideIcons();
if (watch) {
  for (const o of [options, embed]) await (await esbuild.context(o)).watch();
} else {
  await Promise.all([esbuild.build(options), esbuild.build(embed)]);
}
