#!/usr/bin/env node
/**
 * Bundles the CLI into one file, dist/rocket.mjs, so `rocket` starts by reading one module
 * instead of resolving and loading ~80 (our files, commander's and iconv-lite's).
 *
 * What stays out of the bundle and loads only when used:
 * - better-sqlite3 (a native addon; it cannot be bundled): required at the moment the SQLite
 *   store module is first initialised, which only happens through its dynamic import;
 * - @peculiar/x509 and reflect-metadata (certificate code, hundreds of KB): dynamic imports,
 *   left as they are;
 * - node:tls, through a stand-in that requires it on first use (see LAZY_BUILTINS).
 *
 * Run after `tsc` (it reads src/ itself, so it does not depend on dist/ being fresh):
 *   node scripts/bundle.mjs            # writes dist/rocket.mjs (+ dist/rocket-*.mjs chunks)
 */
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

/** Left as `import(...)` / require at run time: loaded only by the code that needs them. */
const LAZY_EXTERNAL = ['@peculiar/x509', 'reflect-metadata'];

/**
 * better-sqlite3 is CommonJS with a native addon. A static `import Database from
 * 'better-sqlite3'` of an external would be hoisted to the top of the bundle and load the
 * addon at every start; this shim turns it into a require() that runs when the importing
 * module (reached only through a dynamic import) is initialised.
 */
const lazySqlite = {
  name: 'lazy-better-sqlite3',
  setup(b) {
    b.onResolve({ filter: /^better-sqlite3$/ }, (args) =>
      args.kind === 'import-statement' ? { path: 'better-sqlite3', namespace: 'lazy-cjs' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-cjs' }, () => ({
      contents:
        "import { createRequire } from 'node:module';\n" +
        "export default createRequire(import.meta.url)('better-sqlite3');\n",
      loader: 'js',
    }));
  },
};

/**
 * Node built-ins that take long to load (node:tls compiles ~7 ms of JavaScript at first
 * require) and that only some commands use. An ESM bundle hoists every built-in import to
 * its top, so each is replaced by a stand-in that requires the real module on first use:
 * the default export is a Proxy, and each exported function a wrapper. A named import that
 * the stand-in lacks (a class, a constant) fails the build, so nothing breaks silently.
 */
const LAZY_BUILTINS = ['node:tls'];

const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.kind === 'import-statement' ? { path: args.path, namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const real = await import(args.path);
      const functions = Object.keys(real).filter(
        (name) => name !== 'default' && typeof real[name] === 'function' && /^[a-z]/.test(name),
      );
      const contents = [
        "import { createRequire } from 'node:module';",
        `let real;`,
        `const load = () => (real ??= createRequire(import.meta.url)(${JSON.stringify(args.path)}));`,
        'export default new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });',
        ...functions.map((name) => `export function ${name}(...args) { return load().${name}(...args); }`),
      ].join('\n');
      return { contents, loader: 'js' };
    });
  },
};

/**
 * Source files find data/ relative to their own place in dist/ (dist/netutil/services.js ->
 * ../../data); the bundle sits one level higher (dist/rocket.mjs -> ../data).
 */
const dataPaths = {
  name: 'data-paths',
  setup(b) {
    b.onLoad({ filter: /src\/netutil\/services\.ts$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replaceAll("'../../data/", "'../data/"), loader: 'ts' };
    });
  },
};

// Chunks from an earlier build have other hashes: clear them so dist/ holds one build.
for (const file of readdirSync('dist').filter((f) => /^rocket-\w+\.mjs$/.test(f))) rmSync(`dist/${file}`);

const result = await build({
  entryPoints: { rocket: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  // Code reached only through import() goes to chunks beside the entry (dist/rocket-*.mjs),
  // loaded when first used: a command whose implementation is imported lazily costs nothing
  // at start-up. All files sit in dist/, so '../data/' is right from each of them.
  splitting: true,
  chunkNames: 'rocket-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: LAZY_EXTERNAL,
  plugins: [lazySqlite, lazyBuiltins, dataPaths],
  // CommonJS dependencies (commander, iconv-lite) call require() for node built-ins.
  banner: {
    js: "import { createRequire as __rocketRequire } from 'node:module'; const require = __rocketRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
const outputs = Object.entries(result.metafile.outputs);
const entry = outputs.find(([file]) => file.endsWith('dist/rocket.mjs'))?.[1].bytes ?? 0;
const chunks = outputs.filter(([file]) => !file.endsWith('dist/rocket.mjs'));
const chunkBytes = chunks.reduce((sum, [, o]) => sum + o.bytes, 0);
process.stderr.write(
  `dist/rocket.mjs: ${(entry / 1024).toFixed(0)} KiB, plus ${chunks.length} lazily loaded chunk(s) of ${(chunkBytes / 1024).toFixed(0)} KiB\n`,
);
