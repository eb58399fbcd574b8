// Fails when a line of a formatted file is longer than Prettier's printWidth (120). Prettier does not break string
// literals, comments, regexes or YAML/CSS text, so it can leave such lines; this check names each one as
// file:line. ESLint's max-len says the same for the JavaScript and TypeScript files in the editor; this covers JSON,
// YAML, CSS and HTML too. Markdown is left out: prose keeps the line breaks it was written with (.prettierignore).
//
//   node --experimental-strip-types scripts/check-line-width.ts [files...]     (default: every tracked file)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const maxWidth = 120;
const formatted = /\.(ts|tsx|js|cjs|mjs|json|css|yaml|yml|html)$/;
/**
 * Generated files, formatted by their generators (as in .prettierignore); and package.json, which npm writes and
 * whose script commands are JSON strings that cannot be broken.
 */
const skipped = new Set(['client/openapi.d.ts', 'package-lock.json', 'package.json']);

const given = process.argv.slice(2);
const files = (given.length > 0 ? given : execFileSync('git', ['ls-files'], { encoding: 'utf8' }).split('\n')).filter(
  (file) => formatted.test(file) && !skipped.has(file) && !file.includes('/dist/'),
);

const problems: string[] = [];
for (const file of files) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, index) => {
    // Characters as a reader counts them (code points), like ESLint's max-len and Prettier.
    const width = [...line].length;
    if (width > maxWidth) problems.push(`${file}:${index + 1}: ${width} characters (at most ${maxWidth})`);
  });
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(
    `${problems.length} line(s) longer than ${maxWidth} characters: wrap the comment, split the string with +, ` +
      'or break the line by hand.',
  );
  process.exitCode = 1;
}
