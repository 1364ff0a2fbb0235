// deploy/k8s rendered like `kubectl apply -k` and validated strictly against the Kubernetes API
// definitions of the pinned @kubernetes/client-node; then what the deployment promises (DESIGN §10),
// and proof that the validator rejects what a cluster would: unknown fields, missing required
// fields, wrong types. Usage: node --test manifests.test.mjs (or ./run.sh)
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { render, RenderError } from './kustomize.mjs';
import { kubernetesRelease, validate } from './schema.mjs';

const k8s = resolve(dirname(fileURLToPath(import.meta.url)), '../k8s');
const rendered = render(k8s);
const find = kind => structuredClone(rendered.find(o => o.kind === kind));
const silo = d => d.spec.template.spec.containers[0];
const env = d => Object.fromEntries(silo(d).env.map(e => [e.name, e]));

describe(`deploy/k8s against Kubernetes ${kubernetesRelease}`, () => {
  test('renders every kind DESIGN §10 lists, in one namespace, labelled as part of Flowstate', () => {
    assert.deepEqual(rendered.map(o => o.kind).sort(),
      ['ConfigMap', 'Deployment', 'Job', 'Namespace', 'NetworkPolicy', 'PodDisruptionBudget', 'Service']);
    for (const o of rendered.filter(o => o.kind !== 'Namespace')) assert.equal(o.metadata.namespace, 'flowstate', `${o.kind} namespace`);
    for (const o of rendered) assert.equal(o.metadata.labels['app.kubernetes.io/part-of'], 'flowstate', `${o.kind} label`);
  });

  for (const object of rendered) {
    test(`${object.kind}/${object.metadata.name} is valid`, async () => assert.deepEqual(await validate(object), []));
  }

  test('Deployment: 3 silos, rolling updates that never drop one, probes, limits, non-root read-only root, downward API', () => {
    const d = find('Deployment');
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const c = silo(d);
    assert.equal(c.startupProbe.httpGet.path, '/healthz');
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
    assert.equal(d.spec.template.spec.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.ok(d.spec.template.spec.volumes.some(v => v.emptyDir) && c.volumeMounts.some(m => m.mountPath === '/tmp'), 'an emptyDir for /tmp');
    assert.equal(env(d).POD_IP.valueFrom.fieldRef.fieldPath, 'status.podIP');
    assert.equal(env(d).POD_NAME.valueFrom.fieldRef.fieldPath, 'metadata.name');
    assert.equal(env(d).Flowstate__Clustering.value, 'AdoNet');
    assert.deepEqual(c.ports.map(p => p.containerPort).sort((a, b) => a - b), [8080, 11111, 30000]);
  });

  test('graceful shutdown fits: preStop pause + drain < terminationGracePeriodSeconds', () => {
    const d = find('Deployment');
    const drain = Number(find('ConfigMap').data.Flowstate__ShutdownSeconds);
    const pause = silo(d).lifecycle.preStop.sleep.seconds;
    assert.ok(drain > 0);
    assert.ok(pause + drain + 10 <= d.spec.template.spec.terminationGracePeriodSeconds,
      `${pause} s + ${drain} s + 10 s of margin within ${d.spec.template.spec.terminationGracePeriodSeconds} s`);
  });

  test('secrets are references only: the connection string and auth settings come from Secrets not in the repo', () => {
    assert.equal(rendered.filter(o => o.kind === 'Secret').length, 0);
    const d = find('Deployment');
    assert.equal(env(d).FLOWSTATE_DB.valueFrom.secretKeyRef.name, 'flowstate-database');
    assert.ok(silo(d).envFrom.some(e => e.secretRef?.name === 'flowstate-auth'));
    assert.equal(JSON.stringify(find('ConfigMap')).match(/password|secret/i), null);
    const job = find('Job');
    assert.deepEqual(job.spec.template.spec.containers[0].args, ['migrate']);
    assert.equal(job.spec.template.spec.containers[0].env.find(e => e.name === 'FLOWSTATE_DB').valueFrom.secretKeyRef.name, 'flowstate-database');
  });

  test('PodDisruptionBudget keeps 2 silos; Service and NetworkPolicy select the silos; the policy opens 11111, 30000 and HTTP', () => {
    const labels = find('Deployment').spec.template.metadata.labels;
    const selects = sel => Object.entries(sel).every(([k, v]) => labels[k] === v);
    const pdb = find('PodDisruptionBudget');
    assert.equal(pdb.spec.minAvailable, 2);
    assert.ok(selects(pdb.spec.selector.matchLabels));
    assert.ok(selects(find('Service').spec.selector));
    const policy = find('NetworkPolicy');
    assert.ok(selects(policy.spec.podSelector.matchLabels));
    const ports = policy.spec.ingress.flatMap(r => r.ports.map(p => p.port)).sort((a, b) => a - b);
    assert.deepEqual(ports, [8080, 11111, 30000]);
  });

  test('images: the kustomization sets every container image', () => {
    for (const o of [find('Deployment'), find('Job')]) assert.equal(o.spec.template.spec.containers[0].image, 'flowstate:latest');
  });
});

describe('the validator rejects what the API server would', () => {
  const expectError = async (object, pattern) => {
    const errors = await validate(object);
    assert.ok(errors.some(e => pattern.test(e)), `expected an error matching ${pattern}, got ${JSON.stringify(errors)}`);
  };

  test('an unknown field: replica: 3', async () => {
    const d = find('Deployment');
    d.spec.replica = 3;
    await expectError(d, /spec\.replica: unknown field/);
  });

  test('an unknown field deep down (a misspelt probe setting)', async () => {
    const d = find('Deployment');
    silo(d).readinessProbe.periodSecond = 5;
    await expectError(d, /containers\[0\]\.readinessProbe\.periodSecond: unknown field/);
  });

  test('a container without an image', async () => {
    const d = find('Deployment');
    delete silo(d).image;
    await expectError(d, /containers\[0\]\.image: required/);
  });

  test('a missing required field (the Deployment selector, a container name)', async () => {
    const d = find('Deployment');
    delete d.spec.selector;
    await expectError(d, /spec\.selector: required field missing/);
    const job = find('Job');
    delete job.spec.template.spec.containers[0].name;
    await expectError(job, /containers\[0\]\.name: required field missing/);
  });

  test('a string where an integer belongs: replicas: "3"', async () => {
    const d = find('Deployment');
    d.spec.replicas = '3';
    await expectError(d, /spec\.replicas: expected a number \(int32\), got string "3"/);
  });

  test('other wrong types: a fraction for an int32, a map for a list, a number for a string, a bad int-or-string', async () => {
    const d = find('Deployment');
    d.spec.template.spec.terminationGracePeriodSeconds = 1.5;
    silo(d).args = { serve: true };
    silo(d).env[0].value = 3;
    d.spec.strategy.rollingUpdate.maxSurge = true;
    const errors = await validate(d);
    for (const p of [/terminationGracePeriodSeconds: expected an integer/, /args: expected a list/, /env\[0\]\.value: expected a string/,
                     /maxSurge: expected an integer or a string/])
      assert.ok(errors.some(e => p.test(e)), `${p} in ${JSON.stringify(errors)}`);
  });

  test('a wrong apiVersion, an unknown kind, a selector that misses the template', async () => {
    await expectError({ ...find('PodDisruptionBudget'), apiVersion: 'policy/v1beta1' }, /PodDisruptionBudget is policy\/v1/);
    await expectError({ apiVersion: 'v1', kind: 'Potato', metadata: { name: 'x' } }, /kind 'Potato' is not one this validator knows/);
    const d = find('Deployment');
    d.spec.selector.matchLabels['app.kubernetes.io/name'] = 'other';
    await expectError(d, /does not match the template's labels/);
  });

  test('the renderer refuses what it does not support, missing resources, duplicates and bad YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
    const write = (name, text) => { mkdirSync(dirname(join(dir, name)), { recursive: true }); writeFileSync(join(dir, name), text); };
    const head = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n';
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n';
    write('kustomization.yaml', `${head}patches: []\nresources: [cm.yaml]\n`);
    write('cm.yaml', cm);
    assert.throws(() => render(dir), e => e instanceof RenderError && /'patches' is not supported/.test(e.message));
    write('kustomization.yaml', `${head}resources: [missing.yaml]\n`);
    assert.throws(() => render(dir), /'missing.yaml' does not exist/);
    write('kustomization.yaml', `${head}resources: [cm.yaml, again.yaml]\n`);
    write('again.yaml', cm);
    assert.throws(() => render(dir), /ConfigMap a is defined twice/);
    write('kustomization.yaml', `${head}resources: [dup.yaml]\n`);
    write('dup.yaml', `${cm}data:\n  x: "1"\n  x: "2"\n`);
    assert.throws(() => render(dir), /dup.yaml/);
    write('kustomization.yaml', `${head}namespace: ns\nresources: [base]\nimages: [{ name: app, newTag: "2" }]\n`);
    write('base/kustomization.yaml', `${head}resources: [job.yaml]\n`);
    write('base/job.yaml', 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec:\n      containers: [{ name: c, image: "app:1" }]\n');
    const [job] = render(dir);
    assert.equal(job.metadata.namespace, 'ns');
    assert.equal(job.spec.template.spec.containers[0].image, 'app:2');
  });
});
