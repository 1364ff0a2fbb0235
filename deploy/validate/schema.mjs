// Strict, offline validation of Kubernetes objects against the API definitions of one Kubernetes
// release: the models that @kubernetes/client-node generates from that release's OpenAPI spec (the
// version pinned in package.json; its models say "OpenAPI spec version: release-1.36"). Each model
// carries its fields and their types (attributeTypeMap) and, in its type declaration, which fields
// are required (declared without `?`). Fields a model does not know, required fields that are
// missing, and values of the wrong type (a string where an int32 belongs, a list where a map does)
// are all errors, like `kubectl apply --validate=strict`. A few rules the API server enforces beyond
// the OpenAPI types (a container needs an image; a Deployment's selector must match its template)
// are checked too, and named as such.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const clientDir = dirname(require.resolve('@kubernetes/client-node/package.json'));
const modelsDir = join(clientDir, 'dist', 'gen', 'models');

/** The Kubernetes release whose definitions are used, read from the generated models. */
export const kubernetesRelease = /OpenAPI spec version: (\S+)/.exec(readFileSync(join(modelsDir, 'V1Deployment.js'), 'utf8'))[1];

// apiVersion of each kind this validator accepts; the model is V<version><Kind> (e.g. apps/v1 Deployment → V1Deployment).
const API_VERSIONS = {
  Namespace: 'v1', ConfigMap: 'v1', Secret: 'v1', Service: 'v1', ServiceAccount: 'v1', Pod: 'v1', PersistentVolumeClaim: 'v1',
  Deployment: 'apps/v1', StatefulSet: 'apps/v1', DaemonSet: 'apps/v1',
  Job: 'batch/v1', CronJob: 'batch/v1',
  PodDisruptionBudget: 'policy/v1',
  NetworkPolicy: 'networking.k8s.io/v1', Ingress: 'networking.k8s.io/v1',
  Role: 'rbac.authorization.k8s.io/v1', RoleBinding: 'rbac.authorization.k8s.io/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
};

const INT32 = [-(2 ** 31), 2 ** 31 - 1];
const models = new Map();

/** A model's fields: name → { type, format, required }. */
async function model(name) {
  if (models.has(name)) return models.get(name);
  let cls;
  try { cls = (await import(pathToFileURL(join(modelsDir, `${name}.js`)).href))[name]; }
  catch { throw new Error(`no definition for ${name} in @kubernetes/client-node`); }
  const declaration = readFileSync(join(modelsDir, `${name}.d.ts`), 'utf8');
  const required = new Set([...declaration.matchAll(/^\s+'([^']+)':/gm)].map(m => m[1]));
  const fields = new Map(cls.getAttributeTypeMap().map(a => [a.baseName, { type: a.type, format: a.format, required: required.has(a.name) }]));
  models.set(name, fields);
  return fields;
}

const describe = v => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a map' : `${typeof v} ${JSON.stringify(v)}`);

async function check(value, type, format, path, errors) {
  const fail = expected => errors.push(`${path}: expected ${expected}, got ${describe(value)}`);
  let m;
  if (type === 'any') return;
  if (type === 'string' || type === 'Date') { if (typeof value !== 'string') fail('a string'); return; }
  if (type === 'boolean') { if (typeof value !== 'boolean') fail('a boolean'); return; }
  if (type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`a number${format ? ` (${format})` : ''}`);
    if ((format === 'int32' || format === 'int64') && !Number.isInteger(value)) return fail(`an integer (${format})`);
    if (format === 'int32' && (value < INT32[0] || value > INT32[1])) fail('an int32 in range');
    return;
  }
  if (type === 'IntOrString') {
    if (!(typeof value === 'string' || Number.isInteger(value))) fail('an integer or a string');
    return;
  }
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (!Array.isArray(value)) return fail('a list');
    for (let i = 0; i < value.length; i++) await check(value[i], m[1], '', `${path}[${i}]`, errors);
    return;
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (!isMap(value)) return fail('a map');
    for (const [k, v] of Object.entries(value)) await check(v, m[1], '', `${path}.${k}`, errors);
    return;
  }
  if (!isMap(value)) return fail(`a map (${type})`);
  const fields = await model(type);
  for (const [key, field] of fields) {
    if (field.required && (value[key] === undefined || value[key] === null)) errors.push(`${path}.${key}: required field missing (${type})`);
  }
  for (const [key, v] of Object.entries(value)) {
    const field = fields.get(key);
    if (!field) { errors.push(`${path}.${key}: unknown field (${type} has no '${key}')`); continue; }
    if (v === null && !field.required) continue; // `key:` with no value is absent to the API server
    await check(v, field.type, field.format, `${path}.${key}`, errors);
  }
}

const isMap = v => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Rules the API server applies on create that the OpenAPI types cannot express. */
function serverRules(object, at, errors) {
  if (!object.metadata?.name) errors.push(`${at}.metadata.name: required (API server)`);
  const template = object.kind === 'CronJob' ? object.spec?.jobTemplate?.spec?.template : object.spec?.template;
  const podSpec = object.kind === 'Pod' ? object.spec : template?.spec;
  const podPath = object.kind === 'Pod' ? 'spec' : object.kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
  if (isMap(podSpec)) {
    for (const key of ['initContainers', 'containers']) {
      (Array.isArray(podSpec[key]) ? podSpec[key] : []).forEach((c, i) => {
        if (isMap(c) && (typeof c.image !== 'string' || c.image.trim() === '')) errors.push(`${at}.${podPath}.${key}[${i}].image: required (API server)`);
      });
    }
    if (Array.isArray(podSpec.containers) && podSpec.containers.length === 0) errors.push(`${at}.${podPath}.containers: at least one container (API server)`);
  }
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(object.kind) && isMap(object.spec?.selector?.matchLabels)) {
    const labels = template?.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(object.spec.selector.matchLabels)) {
      if (labels[k] !== v) errors.push(`${at}.spec.selector: matchLabels ${k}=${v} does not match the template's labels (API server)`);
    }
  }
}

/** Every error of one object (an empty list when it is valid). */
export async function validate(object) {
  const errors = [];
  if (!isMap(object)) return ['document: expected a Kubernetes object (a map)'];
  const at = `${object.kind ?? '?'}/${object.metadata?.name ?? '?'}`;
  const apiVersion = API_VERSIONS[object.kind];
  if (!apiVersion) return [`${at}: kind '${object.kind}' is not one this validator knows (${Object.keys(API_VERSIONS).join(', ')})`];
  if (object.apiVersion !== apiVersion) return [`${at}.apiVersion: ${object.kind} is ${apiVersion} in ${kubernetesRelease}, got ${describe(object.apiVersion)}`];
  const version = apiVersion.split('/').pop();
  await check(object, `V${version.slice(1)}${object.kind}`, '', at, errors);
  serverRules(object, at, errors);
  return errors;
}
