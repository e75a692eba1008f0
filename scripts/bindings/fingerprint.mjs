#!/usr/bin/env node
// Prints a fingerprint of what the language apps are built from: the library's sources (src/) and the apps
// themselves (test/bindings/{python,java,go}). scripts/bindings/build.sh records it with the launchers it
// writes; test/bindings/ runs them only while the fingerprint still matches, so it never compares stale builds.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SKIP = new Set(['target', '__pycache__', 'node_modules', 'dist']);

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return SKIP.has(name) ? [] : files(path);
    return [path];
  });
}

const hash = createHash('sha256');
const inputs = ['src', 'test/bindings/python', 'test/bindings/java', 'test/bindings/go'].flatMap((d) => files(join(root, d)));
for (const file of inputs.map((f) => relative(root, f)).sort()) {
  hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0');
}
console.log(hash.digest('hex'));
