// Build the console into dist/: one script and one stylesheet with content
// hashes in their names (cached for a year), and index.html naming them,
// written last (the server's build script watches it). No inline script or
// style anywhere: the Content-Security-Policy forbids them.

import { build } from 'esbuild';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';

const out = new URL('./dist/', import.meta.url);
await rm(out, { recursive: true, force: true });
await mkdir(new URL('./assets/', out), { recursive: true });

const result = await build({
  entryPoints: { app: 'src/main.tsx', styles: 'src/styles.css' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: 'dist/assets',
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  // Leaflet's stylesheet names its control images.
  loader: { '.png': 'file', '.svg': 'file' },
  assetNames: '[name]-[hash]',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const script = outputs.find((p) => /app-[^/]+\.js$/.test(p));
const style = outputs.find((p) => /styles-[^/]+\.css$/.test(p));
if (!script || !style) throw new Error(`build produced ${outputs.join(', ')}`);
const name = (p) => p.replace(/^dist\//, '');

let gz = 0;
for (const p of outputs.filter((p) => p.endsWith('.js'))) gz += gzipSync(await readFile(p)).length;

const html = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>网格通 指挥中心</title>
<link rel="stylesheet" href="/${name(style)}">
<script type="module" src="/${name(script)}"></script>
</head>
<body>
<div id="app"></div>
<noscript>指挥中心需要启用 JavaScript / the console needs JavaScript</noscript>
</body>
</html>
`;
await writeFile(new URL('./index.html', out), html);
console.log(`console built: ${name(script)}, ${name(style)}; JavaScript ${(gz / 1024).toFixed(1)} KiB gzip (budget 500 KiB)`);
