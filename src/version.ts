/** The package's version, for `bulk --version` and the server's answers; outside cli/ so the server can use it. */
import { readFileSync } from 'node:fs';

// Read at start rather than imported as JSON: the compiled file must not depend on rootDir layout.
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export const VERSION: string = pkg.version;
