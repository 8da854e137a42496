// Writes completion/script_globals.json: the global names of JavaScript environments, from the
// `globals` package (an eslint dependency of this extension). Run from editors/vscode:
//   node scripts/js-globals.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const globals = require("globals");
const { version } = JSON.parse(readFileSync(require.resolve("globals/package.json"), "utf8"));
const environments = ["builtin", "browser", "worker", "serviceworker", "node", "commonjs", "jest", "mocha"];
const names = new Set(["undefined", "arguments", "NaN", "Infinity", "globalThis"]);
for (const environment of environments) for (const name of Object.keys(globals[environment])) names.add(name);
const data = {
  _comment:
    `Global names of JavaScript environments (${environments.join(", ")}) from the globals npm package ` +
    `${version} (MIT). A read of one of these is never an unknown name. ` +
    "Regenerate: cd editors/vscode && node scripts/js-globals.mjs",
  names: [...names].sort(),
};
const text = JSON.stringify(data, null, 1).replace(/\n +/g, "\n");
writeFileSync(new URL("../../../completion/script_globals.json", import.meta.url), text + "\n");
console.log(`${names.size} names from globals ${version}`);
