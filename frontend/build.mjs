// Builds the static site into dist/: widget.js (customer widget), index.html
// (demo host page), agent.html + agent.js + agent.css (agent view).
// config.json is deliberately not part of dist/: the local stack serves it and
// a deploy writes it next to the assets.
import * as esbuild from "esbuild";
import { gzipSync } from "node:zlib";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, "dist");
const WIDGET_BUDGET = 30 * 1024; // gzipped bytes

// Minified CSS handed to the widget as a string (it goes into the shadow root).
const cssAsText = {
  name: "css-as-text",
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      const source = readFileSync(args.path, "utf8");
      const { code } = await esbuild.transform(source, { loader: "css", minify: true });
      return { contents: code, loader: "text" };
    });
  },
};

const common = {
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "none",
  logLevel: "warning",
  charset: "utf8",
};

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await esbuild.build({
  ...common,
  entryPoints: { widget: join(root, "src/widget/main.tsx") },
  outdir: dist,
  plugins: [cssAsText],
});

await esbuild.build({
  ...common,
  entryPoints: { agent: join(root, "src/agent/main.tsx") },
  outdir: dist,
});

cpSync(join(root, "src/public"), dist, { recursive: true });

let widgetGz = 0;
const rows = [];
for (const name of readdirSync(dist).sort()) {
  const file = join(dist, name);
  if (!statSync(file).isFile()) continue;
  const raw = readFileSync(file);
  const gz = gzipSync(raw, { level: 9 }).length;
  if (name === "widget.js") widgetGz = gz;
  rows.push(`  ${name.padEnd(14)} ${String(raw.length).padStart(8)} B  ${String(gz).padStart(7)} B gzipped`);
}
console.log(`dist/\n${rows.join("\n")}`);
console.log(`widget.js: ${(widgetGz / 1024).toFixed(1)} KB gzipped (budget ${WIDGET_BUDGET / 1024} KB)`);
if (widgetGz > WIDGET_BUDGET) {
  console.error("widget.js is over its size budget");
  process.exit(1);
}
