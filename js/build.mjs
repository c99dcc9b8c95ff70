// Bundles the front end into ../chatkit_jupyter/static/: widget.js + widget.css (the chat) and
// view.js + view.css (a single ChatKit widget, WidgetView), which the Python package serves as
// the anywidgets' ESM and CSS; and embed.js, the script `nbconvert --to chatkit` inlines to draw
// WidgetViews in an exported page offline. `--watch` rebuilds on change.
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const watch = process.argv.includes("--watch");

const options = {
  entryPoints: { widget: path.join(here, "src/index.ts"), view: path.join(here, "src/widgets/view.ts") },
  outdir: path.join(here, "../chatkit_jupyter/static"),
  bundle: true,
  format: "esm",
  target: ["es2020"],
  minify: !watch && !process.env.NO_MINIFY,
  sourcemap: watch ? "inline" : false,
  legalComments: "none",
  logLevel: "info",
};

// An IIFE, no exports: the exporter's template inlines it in a <script type="module">.
const embed = {
  ...options,
  entryPoints: { embed: path.join(here, "src/static/embed.ts") },
  format: "iife",
};

if (watch) {
  for (const o of [options, embed]) await (await esbuild.context(o)).watch();
} else {
  await Promise.all([esbuild.build(options), esbuild.build(embed)]);
}
