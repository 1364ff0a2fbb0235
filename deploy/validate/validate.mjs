// Renders a kustomization and validates every object it yields (see schema.mjs).
//   node validate.mjs [dir, default ../k8s] [--print]   exit 0 when every object is valid
//   --print writes the rendered objects as YAML (what `kubectl apply -k` would send) to stdout
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { render } from './kustomize.mjs';
import { kubernetesRelease, validate } from './schema.mjs';

const args = process.argv.slice(2);
const dir = args.find(a => !a.startsWith('--')) ?? resolve(dirname(fileURLToPath(import.meta.url)), '../k8s');
const objects = render(dir);
let failed = 0;
for (const object of objects) {
  const errors = await validate(object);
  failed += errors.length ? 1 : 0;
  for (const e of errors) console.error(`invalid: ${e}`);
}
if (args.includes('--print')) process.stdout.write(objects.map(o => stringify(o)).join('---\n'));
console.error(`${objects.length} objects from ${dir}: ${objects.length - failed} valid, ${failed} invalid (Kubernetes ${kubernetesRelease})`);
process.exit(failed ? 1 : 0);
