#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm run build produces dist/).
import('../dist/cli/main.js')
  .then((m) => m.main(process.argv))
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
