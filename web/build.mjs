// Builds the web apps geohunt serves itself into web/dist/ (run by `make setup`; `npm run build`).
//
// Every script and style is a file of its own origin (the pages' CSP has no 'unsafe-inline'),
// named by its content hash so it can be cached for a year; what is not hashed (the service
// worker, the manifest, the icons) is served revalidated. web/dist/assets.json tells the server
// which files make each app's shell; each file also gets a .gz twin the server sends as is.
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import {
  cpSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const WEB = dirname(fileURLToPath(import.meta.url));
// Built aside, then swapped in whole: a server (or a test) reading web/dist never sees half a build.
const FINAL = join(WEB, "dist");
const DIST = join(WEB, `.dist-${process.pid}`);
const APPS = ["fan", "console"];

function files(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

async function buildApp(app) {
  const out = join(DIST, app);
  const result = await esbuild.build({
    entryPoints: { main: join(WEB, app, "main.js"), app: join(WEB, app, "app.css") },
    bundle: true,
    splitting: true, // the camera's decoder loads only when "Scan" is pressed
    format: "esm",
    target: ["chrome111", "safari16", "firefox115"],
    minify: true,
    sourcemap: false,
    legalComments: "linked",
    entryNames: "[name]-[hash]",
    chunkNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    outdir: out,
    metafile: true,
    external: ["/app/*"],
    // Images a bundled style sheet names (Leaflet's controls) become hashed files of the app.
    loader: { ".png": "file" },
    logLevel: "warning",
  });
  const entries = {};
  for (const [path, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint) entries[basename(meta.entryPoint).split(".")[0]] = basename(path);
  }
  cpSync(join(WEB, app, "static"), out, { recursive: true });
  // The shell page names its hashed files; the server serves it for every page of the app.
  const page = readFileSync(join(WEB, app, "index.html"), "utf8")
    .replaceAll("__SCRIPT__", `/app/${app}/${entries.main}`)
    .replaceAll("__STYLE__", `/app/${app}/${entries.app}`);
  writeFileSync(join(out, "index.html"), page);
  return { script: entries.main, style: entries.app, page: "index.html" };
}

rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });
const manifest = { apps: {} };
for (const app of APPS) manifest.apps[app] = await buildApp(app);

// The fan app's service worker keeps its shell for offline use: it learns the shell's files
// (and a version that changes with any of them) from the build, not from a hand-kept list.
for (const app of APPS) {
  const out = join(DIST, app);
  const shell = files(out)
    .map((path) => relative(out, path))
    .filter((name) => !name.endsWith(".txt") && name !== "index.html")
    .sort();
  const version = createHash("sha256");
  for (const name of [...shell, "index.html"]) version.update(name).update(readFileSync(join(out, name)));
  manifest.apps[app].files = shell;
  manifest.apps[app].version = version.digest("hex").slice(0, 16);
  const worker = join(WEB, app, "sw.js");
  try {
    const source = readFileSync(worker, "utf8")
      .replace("__VERSION__", manifest.apps[app].version)
      .replace("__SHELL__", JSON.stringify(["/", ...shell.map((name) => `/app/${app}/${name}`)]));
    const { code } = await esbuild.transform(source, { minify: true, target: "chrome111" });
    writeFileSync(join(out, "sw.js"), code);
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
  }
}
for (const path of files(DIST)) writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
writeFileSync(join(DIST, "assets.json"), JSON.stringify(manifest, null, 2));
const old = join(WEB, `.old-${process.pid}`);
try {
  renameSync(FINAL, old);
} catch (error) {
  if (error.code !== "ENOENT") throw error;
}
renameSync(DIST, FINAL);
rmSync(old, { recursive: true, force: true });
console.log(`web apps built into ${relative(process.cwd(), FINAL) || FINAL}: ${APPS.join(", ")}`);
