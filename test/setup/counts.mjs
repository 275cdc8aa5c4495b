// Prints each test that passed only on its retry ("flaky: FILE > TEST: error"), each failed
// test ("failed: FILE > TEST: error"), then "N passed, N failed, N skipped", from vitest JSON
// reports (one per test pass), and exits 1 when a test failed or none ran. A test file that
// failed without a failing test (an error while collecting it, or in a beforeAll, which leaves
// its tests unrun) counts its unrun tests, or 1 when it has none, as failed: a test that could
// not run is a failure, never a skip.
//   node test/setup/counts.mjs REPORT.json...
import fs from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
/** One line per failure ("failed: FILE > TEST: first line of the error"), printed before the counts. */
const failures = [];
/** One line per test that failed once and passed on its retry ("flaky: FILE > TEST: error"). */
const flaky = [];
const firstLine = (text) => String(text ?? "").split("\n").find((l) => l.trim()) ?? "";
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) {
    console.error(`counts: no report at ${file} (vitest did not finish that pass): counted as 1 failed`);
    failed++;
    continue;
  }
  const report = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const suite of report.testResults) {
    const statuses = suite.assertionResults.map((a) => a.status);
    const count = (...wanted) => statuses.filter((s) => wanted.includes(s)).length;
    passed += count("passed");
    const where = suite.name.replace(process.cwd() + "/", "");
    for (const a of suite.assertionResults) {
      if (a.status === "failed") failures.push(`failed: ${where} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
      // Passed on its retry (vitest.config.ts): the first attempt's error stays in the report.
      if (a.status === "passed" && a.failureMessages?.length) flaky.push(`flaky: ${where} > ${a.fullName}: ${firstLine(a.failureMessages[0])}`);
    }
    if (suite.status === "failed" && count("failed") === 0) failures.push(`failed: ${where}: ${firstLine(suite.message) || "the file failed outside its tests"}`);
    if (suite.status === "failed") {
      failed += Math.max(1, count("failed", "skipped", "pending", "todo"));
    } else {
      failed += count("failed");
      skipped += count("skipped", "pending", "todo");
    }
  }
}
for (const line of flaky) console.log(line.slice(0, 400));
for (const line of failures) console.log(line.slice(0, 400));
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
