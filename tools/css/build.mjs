// Builds static/vendor/bootstrap from the npm package (`make css`; the output is committed, so
// `make run` needs only Python):
//   bootstrap.min.css  Bootstrap's CSS less every selector whose classes appear nowhere in CONTENT
//                      (PurgeCSS), minified;
//   bootstrap.min.js   only the plugins in JS_COMPONENTS (esbuild), with their data-bs-* API.
// It also writes bootstrap-classes.txt beside this script: every class full Bootstrap styles alone.
// tests/test_assets.py reads it to check that each Bootstrap class the templates, scripts or
// Python name is still in the committed CSS, so a class added later without `make css` fails a test.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import postcss from 'postcss';
import selectorParser from 'postcss-selector-parser';
import { PurgeCSS } from 'purgecss';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const bootstrap = path.join(here, 'node_modules', 'bootstrap');
const out = path.join(root, 'static', 'vendor', 'bootstrap');
const { version } = JSON.parse(await fs.readFile(path.join(bootstrap, 'package.json'), 'utf8'));

// Everywhere a class name can be written: every template, every script of ours (not vendor/),
// and Python (flash categories, colours and badges chosen in views and services).
export const CONTENT = ['templates/**/*.html', 'static/js/**/*.js', 'relief/**/*.py'];
// Classes no file spells out whole: the ones collapse.js sets while it runs, and `alert-` + a
// category (base.html's flashed messages, the visit form's status in visit-form.js).
const SAFELIST = { standard: ['show', 'collapse', 'collapsing', 'collapsed', 'collapse-horizontal', /^alert-/] };
// Bootstrap's JavaScript plugins the pages use (data-bs-toggle values): the navbar's menu.
export const JS_COMPONENTS = ['collapse'];

const banner = (what) => `/*! Bootstrap v${version} (https://getbootstrap.com/), MIT licence. ${what}\n` +
  ` * Built by tools/css/build.mjs (make css) - do not edit. */`;

async function buildCss() {
  const full = await fs.readFile(path.join(bootstrap, 'dist', 'css', 'bootstrap.css'), 'utf8');
  const [purged] = await new PurgeCSS().purge({
    content: CONTENT.map((glob) => path.join(root, glob)),
    css: [{ raw: full }],
    safelist: SAFELIST,
    keyframes: true,
    fontFace: true,
  });
  const { code } = await esbuild.transform(purged.css, { loader: 'css', minify: true, legalComments: 'none' });
  await fs.writeFile(path.join(out, 'bootstrap.min.css'),
    banner('Only the rules relief uses (PurgeCSS).') + '\n' + code);
  // the classes a page can use on their own: those in a selector that names no other class
  const classes = new Set();
  postcss.parse(full).walkRules((rule) => {
    selectorParser((selectors) => {
      selectors.each((selector) => {
        const names = [];
        selector.walkClasses((c) => { names.push(c.value); });
        if (names.length === 1) { classes.add(names[0]); }
      });
    }).processSync(rule.selector);
  });
  await fs.writeFile(path.join(here, 'bootstrap-classes.txt'),
    `# classes Bootstrap ${version}'s CSS styles on their own (written by build.mjs)\n` + [...classes].sort().join('\n') + '\n');
  return { full: full.length, kept: code.length };
}

async function buildJs() {
  const entry = JS_COMPONENTS.map((c) => `import './node_modules/bootstrap/js/src/${c}.js';`).join('\n');
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: here, sourcefile: 'relief-bootstrap.js' },
    bundle: true, minify: true, format: 'iife', target: ['es2017'], write: false, legalComments: 'none',
  });
  const code = result.outputFiles[0].text;
  await fs.writeFile(path.join(out, 'bootstrap.min.js'),
    banner(`Plugins: ${JS_COMPONENTS.join(', ')}.`) + '\n' + code);
  return { kept: code.length };
}

await fs.copyFile(path.join(bootstrap, 'LICENSE'), path.join(out, 'LICENSE'));
const css = await buildCss();
const js = await buildJs();
console.log(`bootstrap.min.css: ${css.kept} bytes (full Bootstrap: ${css.full}); ` +
  `bootstrap.min.js: ${js.kept} bytes (${JS_COMPONENTS.join(', ')})`);
