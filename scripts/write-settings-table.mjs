#!/usr/bin/env node
// Rewrites the README's configuration table from the settings table (run after `npm run build`;
// `npm run docs:settings` does both). test/settings.test.ts fails while they differ.
import fs from "node:fs";
import { withSettingsTable } from "../dist/src/shared/settings-table.js";

const readme = new URL("../README.md", import.meta.url);
const before = fs.readFileSync(readme, "utf8");
const after = withSettingsTable(before);
fs.writeFileSync(readme, after);
console.log(before === after ? "README settings table already up to date" : "README settings table rewritten");
