// Parses the ```mermaid blocks of Markdown files with Mermaid (in jsdom);
// exits 1 when one is rejected. Used by scripts/check-mermaid.sh.
import { JSDOM } from "jsdom";
import { readFileSync } from "node:fs";
const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });
let failed = 0, checked = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  const blocks = [...text.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  for (const block of blocks) {
    checked += 1;
    try {
      await mermaid.parse(block);
    } catch (e) {
      failed += 1;
      console.error(`${file}: ${e.message ?? e}`);
    }
  }
}
console.log(`${checked} Mermaid blocks checked, ${failed} rejected`);
process.exit(failed ? 1 : 0);
