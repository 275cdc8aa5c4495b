import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

/** One file of the page, held in memory. */
export interface Asset {
  type: string;
  body: Buffer;
  /** The same bytes gzipped, for browsers that accept it. */
  gzip: Buffer;
}

/** Where the build puts the page (`npm run build` bundles src/dashboard/web/ there). */
export const ASSETS_DIR = fileURLToPath(new URL("./assets/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * Reads every file of the built page into memory, keyed by URL path ("/" is index.html,
 * the rest under "/assets/"). Throws, saying what to run, when the build did not make them.
 */
export function loadAssets(dir = ASSETS_DIR): Map<string, Asset> {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((name) => TYPES[path.extname(name)]);
  } catch {
    names = [];
  }
  if (!names.includes("index.html")) {
    throw new Error(`the dashboard's page is missing from ${dir}: build it with npm run build`);
  }
  const assets = new Map<string, Asset>();
  for (const name of names) {
    const body = fs.readFileSync(path.join(dir, name));
    const asset = { type: TYPES[path.extname(name)]!, body, gzip: zlib.gzipSync(body, { level: 9 }) };
    assets.set(name === "index.html" ? "/" : `/assets/${name}`, asset);
  }
  return assets;
}
