import { SETTINGS, type Setting } from "./settings.js";

/** The markers around the generated configuration table in the README. */
export const TABLE_START = "<!-- settings table: generated from src/common/settings.ts by `npm run docs:settings` -->";
export const TABLE_END = "<!-- end of settings table -->";

/** The README's configuration table, as Markdown lines, made from the settings table. */
export function settingsTable(): string {
  const rows = (Object.entries(SETTINGS) as Array<[string, Setting]>).map(([name, s]) => {
    const flag = s.flag === false ? "(variable only)" : `\`--${name}\``;
    const value = s.default ? `\`${s.default}\`` : "—";
    return `| ${flag} | \`${s.env}\` | ${value} | ${s.help} |`;
  });
  return ["| flag | variable | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** The README with its generated table replaced by the current one; throws when the markers are missing. */
export function withSettingsTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`the README lacks the markers of the settings table (${TABLE_START} … ${TABLE_END})`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${settingsTable()}\n${readme.slice(end)}`;
}
