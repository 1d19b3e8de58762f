// Writes data/model_prices.tsv from a LiteLLM price map (the JSON file LiteLLM
// ships as model_prices_and_context_window.json), given as the argument:
//
//	node tools/gen-price.mjs model_prices_and_context_window.json
//
// Only the facts the router reads are kept: per chat model, the price of
// a prompt and of a completion token and the prompt tokens it takes.  The
// table is sorted by name for price_find()'s binary search; the build
// turns it into C with tools/price-tab.awk.
import { readFileSync, writeFileSync } from "node:fs";

const src = process.argv[2];
if (!src) {
  console.error("usage: node tools/gen-price.mjs PRICE_MAP.json");
  process.exit(2);
}
const map = JSON.parse(readFileSync(src, "utf8"));
const rows = [];
const num = (v) => (typeof v === "number" && isFinite(v) ? v : -1);
for (const [name, v] of Object.entries(map)) {
  if (name === "sample_spec" || v === null || typeof v !== "object")
    continue;
  if (v.mode !== "chat" && v.mode !== "completion")
    continue;
  if (!/^[\x21-\x7e]+$/.test(name) || /["\\]/.test(name))
    continue;
  const maxIn = Number.isInteger(v.max_input_tokens) ? v.max_input_tokens :
    Number.isInteger(v.max_tokens) ? v.max_tokens : -1;
  rows.push([name, num(v.input_cost_per_token),
    num(v.output_cost_per_token), maxIn]);
}
rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
const g = (x) => (x < 0 ? "-1" : String(x));
let out = "";
for (const [n, i, o, m] of rows)
  out += `${n}\t${g(i)}\t${g(o)}\t${m}\n`;
writeFileSync(new URL("../data/model_prices.tsv", import.meta.url), out);
