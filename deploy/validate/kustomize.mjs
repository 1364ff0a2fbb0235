// Renders a kustomization the way `kubectl apply -k` would, for the subset of kustomize that
// deploy/k8s uses: resources (YAML files and directories with their own kustomization), namespace,
// labels (metadata only) and images. Anything else in a kustomization is an error, so the renderer
// never silently ignores what kustomize would apply.
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images']);
// Kinds that live outside namespaces, among those a deployment like this one would carry.
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition',
  'PersistentVolume', 'StorageClass', 'PriorityClass']);
// Where pod specs sit, by kind.
const POD_SPEC_PATHS = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'], StatefulSet: ['spec', 'template', 'spec'], DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'], Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

export class RenderError extends Error {}

/** Parses every YAML document of `text` strictly (duplicate keys and syntax errors throw); empty documents are skipped. */
export function parseYaml(text, source) {
  return parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true }).flatMap((doc, i) => {
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) throw new RenderError(`${source}: document ${i + 1}: ${problem.message}`);
    const value = doc.toJS({ maxAliasCount: 0 });
    return value === null || value === undefined ? [] : [value];
  });
}

/** The rendered objects of the kustomization in directory `dir`, in resource order. */
export function render(dir) {
  const root = resolve(dir);
  const file = KUSTOMIZATION_FILES.map(f => join(root, f)).find(existsSync);
  if (!file) throw new RenderError(`${root}: no kustomization.yaml`);
  const [k, ...extra] = parseYaml(readFileSync(file, 'utf8'), file);
  if (!k || extra.length || typeof k !== 'object' || Array.isArray(k)) throw new RenderError(`${file}: must hold one mapping`);
  if (k.kind !== 'Kustomization' || !/^kustomize\.config\.k8s\.io\/v1(beta1)?$/.test(k.apiVersion ?? ''))
    throw new RenderError(`${file}: apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization expected`);
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new RenderError(`${file}: '${key}' is not supported by this renderer`);

  const objects = [];
  for (const entry of list(k.resources, file, 'resources')) {
    if (typeof entry !== 'string') throw new RenderError(`${file}: resources entries are paths`);
    const path = resolve(root, entry);
    if (!existsSync(path)) throw new RenderError(`${file}: resource '${entry}' does not exist`);
    const found = statSync(path).isDirectory() ? render(path) : parseYaml(readFileSync(path, 'utf8'), path);
    for (const object of found) {
      if (!object || typeof object !== 'object' || Array.isArray(object) || typeof object.kind !== 'string')
        throw new RenderError(`${path}: every document must be a Kubernetes object with a kind`);
      objects.push(object);
    }
  }
  if (k.namespace !== undefined) {
    if (typeof k.namespace !== 'string' || !k.namespace) throw new RenderError(`${file}: namespace must be a name`);
    for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) (o.metadata ??= {}).namespace = k.namespace;
  }
  for (const label of list(k.labels, file, 'labels')) {
    const unsupported = Object.keys(label ?? {}).filter(key => key !== 'pairs' && !(['includeSelectors', 'includeTemplates'].includes(key) && label[key] === false));
    if (unsupported.length) throw new RenderError(`${file}: labels: ${unsupported.join(', ')} not supported by this renderer (metadata labels only)`);
    for (const o of objects) Object.assign((o.metadata ??= {}).labels ??= {}, label.pairs);
  }
  for (const image of list(k.images, file, 'images')) {
    if (typeof image?.name !== 'string') throw new RenderError(`${file}: images entries need a name`);
    for (const o of objects) for (const container of containersOf(o)) {
      if (typeof container.image === 'string' && imageName(container.image) === image.name) container.image = retag(container.image, image);
    }
  }
  const seen = new Set();
  for (const o of objects) {
    const id = `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    if (seen.has(id)) throw new RenderError(`${file}: ${o.kind} ${o.metadata?.name} is defined twice`);
    seen.add(id);
  }
  return objects;
}

function list(value, file, key) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new RenderError(`${file}: ${key} must be a list`);
  return value;
}

function containersOf(object) {
  let spec = object;
  for (const key of POD_SPEC_PATHS[object.kind] ?? [null]) spec = key === null ? undefined : spec?.[key];
  if (!spec || typeof spec !== 'object') return [];
  return [...(Array.isArray(spec.initContainers) ? spec.initContainers : []), ...(Array.isArray(spec.containers) ? spec.containers : [])];
}

/** The image's name without tag or digest: "registry:5000/app:1.0@sha256:…" → "registry:5000/app". */
function imageName(image) {
  const noDigest = image.split('@')[0];
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function retag(image, { name, newName, newTag, digest }) {
  const base = newName ?? name;
  if (digest) return `${base}@${digest}`;
  if (newTag) return `${base}:${newTag}`;
  return base + image.slice(imageName(image).length);
}
