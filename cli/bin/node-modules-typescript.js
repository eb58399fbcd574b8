// A module loader hook for an installed baton (npm install -g from a package): Node strips
// TypeScript types itself, but never for files under node_modules
// (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING). This strips them for the package's own .ts files
// only, with Node's own stripTypeScriptTypes; everything else loads as usual.
import { readFile } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import { URL } from 'node:url';
import process from 'node:process';

// Node warns that stripTypeScriptTypes is experimental, once per process; a person running baton has
// nothing to do about it. Other warnings still print.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name !== 'ExperimentalWarning') process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

/** The package's root (a file: URL ending with /), given by the launcher. */
let root = '';

/** @param {{ root: string }} data */
export function initialize(data) {
  root = data.root;
}

/**
 * @param {string} url
 * @param {object} context
 * @param {(url: string, context: object) => Promise<object>} nextLoad
 */
export async function load(url, context, nextLoad) {
  if (root !== '' && url.startsWith(root) && url.endsWith('.ts') && !url.slice(root.length).includes('node_modules/')) {
    const source = await readFile(new URL(url), 'utf8');
    return { format: 'module', source: stripTypeScriptTypes(source), shortCircuit: true };
  }
  return nextLoad(url, context);
}
