// Compiles the contract's JSON Schema (read from stdin) into TypeScript (written to stdout) with
// json-schema-to-typescript. Run by `python -m tools.contract`; never by hand.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "frontend", "package.json"));
const { compile } = require("json-schema-to-typescript");

let input = "";
for await (const chunk of process.stdin) input += chunk;
const schema = JSON.parse(input);

const ts = await compile(schema, "Contract", {
  bannerComment: "",
  additionalProperties: false,
  declareExternallyReferenced: true,
  unreachableDefinitions: true,
  strictIndexSignatures: true,
  format: true,
});
process.stdout.write(ts);
