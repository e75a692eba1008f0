/**
 * Validates synthesized manifests the way the API server would at create time:
 *
 * - custom resources against the real CRD OpenAPI schema from `../shared/crds` (or `$CRD_DIR`):
 *   types, enums, patterns, bounds, required fields, unknown fields (which the API server would
 *   silently prune), list uniqueness, defaults, and every CEL rule in `x-kubernetes-validations`;
 * - core kinds against the Kubernetes OpenAPI schemas shipped in `kubernetes-models`.
 *
 * Where no CRD directory exists (a user's fresh clone), custom resources fall back to the schemas in
 * `@kubernetes-models/*`, which carry no CEL rules; `crdSource()` says so plainly.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CiliumClusterwideNetworkPolicy as KmCCNP } from '@kubernetes-models/cilium/cilium.io/v2/CiliumClusterwideNetworkPolicy';
import { CiliumNetworkPolicy as KmCNP } from '@kubernetes-models/cilium/cilium.io/v2/CiliumNetworkPolicy';
import { Gateway as KmGateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import { HTTPRoute as KmHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { DestinationRule as KmDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1/DestinationRule';
import { ServiceEntry as KmServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1/ServiceEntry';
import { AuthorizationPolicy as KmAuthorizationPolicy } from '@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy';
import { PeerAuthentication as KmPeerAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication';
import { RequestAuthentication as KmRequestAuthentication } from '@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication';
import { Telemetry as KmTelemetry } from '@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry';
import { PrometheusRule as KmPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { Environment } from '@marcbachmann/cel-js';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import YAML from 'yaml';

type Json = any;
interface Model { validate(): void }
type ModelClass = new (data: Json) => Model;

/** Core kinds: always validated with kubernetes-models. */
const CORE_MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

/** Custom resources: the fallback when the CRDs are not at hand. */
const CRD_FALLBACK_MODELS: Record<string, ModelClass> = {
  'security.istio.io/v1/AuthorizationPolicy': KmAuthorizationPolicy,
  'security.istio.io/v1/PeerAuthentication': KmPeerAuthentication,
  'security.istio.io/v1/RequestAuthentication': KmRequestAuthentication,
  'networking.istio.io/v1/ServiceEntry': KmServiceEntry,
  'networking.istio.io/v1/DestinationRule': KmDestinationRule,
  'telemetry.istio.io/v1/Telemetry': KmTelemetry,
  'monitoring.coreos.com/v1/PrometheusRule': KmPrometheusRule,
  'gateway.networking.k8s.io/v1/Gateway': KmGateway,
  'gateway.networking.k8s.io/v1/HTTPRoute': KmHTTPRoute,
  'cilium.io/v2/CiliumNetworkPolicy': KmCNP,
  'cilium.io/v2/CiliumClusterwideNetworkPolicy': KmCCNP,
};

/** The CRD files read, relative to the CRD directory (Istio 1.30.3 with Telemetry, Gateway API v1.6.1 standard, Cilium, prometheus-operator's PrometheusRule). */
export const CRD_FILES = ['istio/crd-all.gen.yaml', 'gateway-api/standard', 'cilium', 'prometheus-operator'];

interface CrdVersion {
  readonly schema: Json;
  readonly namespaced: boolean;
}

export interface CrdSource {
  /** The CRD directory used, if any. */
  readonly dir?: string;
  /** Whether CEL rules are evaluated. */
  readonly cel: boolean;
  /** A sentence for logs. */
  readonly description: string;
}

let loaded: { source: CrdSource; crds: Map<string, CrdVersion> } | undefined;

function load(): { source: CrdSource; crds: Map<string, CrdVersion> } {
  if (loaded) return loaded;
  const candidates = [process.env.CRD_DIR, resolve(__dirname, '..', '..', '..', 'shared', 'crds')].filter((d): d is string => !!d);
  const dir = candidates.find((d) => existsSync(d));
  const crds = new Map<string, CrdVersion>();
  if (dir) {
    for (const entry of CRD_FILES) {
      const path = join(dir, entry);
      const files = !existsSync(path) ? [] : path.endsWith('.yaml') ? [path] : readdirSync(path).filter((f) => f.endsWith('.yaml')).map((f) => join(path, f));
      for (const file of files) {
        for (const doc of YAML.parseAllDocuments(readFileSync(file, 'utf8'))) {
          const crd = doc.toJS();
          if (crd?.kind !== 'CustomResourceDefinition') continue;
          for (const v of crd.spec.versions) {
            crds.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, {
              schema: v.schema.openAPIV3Schema,
              namespaced: crd.spec.scope === 'Namespaced',
            });
          }
        }
      }
    }
  }
  const source: CrdSource = dir
    ? { dir, cel: true, description: `CRD schemas and CEL rules from ${dir} (${crds.size} kind versions)` }
    : { cel: false, description: 'no CRD directory (set CRD_DIR or place ../shared/crds): CEL checks SKIPPED; custom resources validated against the @kubernetes-models schemas only' };
  if (!source.cel) console.warn(`crd-validator: ${source.description}`);
  loaded = { source, crds };
  return loaded;
}

/** Where custom resources are validated from. */
export function crdSource(): CrdSource {
  return load().source;
}

/** The problems the API server would find with `obj` (empty when it would accept it as is). */
export function validateManifest(obj: Json): string[] {
  const id = `${obj?.kind ?? '?'} ${obj?.metadata?.namespace ? obj.metadata.namespace + '/' : ''}${obj?.metadata?.name ?? '?'}`;
  const key = `${obj?.apiVersion}/${obj?.kind}`;
  const errors = validateMetadata(obj);
  const core = CORE_MODELS[key];
  const crd = load().crds.get(key);
  if (core) {
    errors.push(...modelErrors(core, obj));
  } else if (crd) {
    if (crd.namespaced && !obj.metadata?.namespace) errors.push('metadata.namespace: required for a namespaced kind (else it lands in whatever namespace kubectl defaults to)');
    if (!crd.namespaced && obj.metadata?.namespace) errors.push('metadata.namespace: must be absent for a cluster-scoped kind');
    // metadata, apiVersion and kind are checked above; the schema may still require them to be present
    validateSchema(crd.schema, JSON.parse(JSON.stringify(obj)), '', errors, true, new Set(['metadata', 'apiVersion', 'kind']));
  } else if (CRD_FALLBACK_MODELS[key] && !load().source.dir) {
    errors.push(...modelErrors(CRD_FALLBACK_MODELS[key], obj));
  } else {
    errors.push(`unknown kind ${key}: no schema to validate it against`);
  }
  return errors.map((e) => `${id}: ${e}`);
}

/** Throws with every problem found in `manifests`. */
export function expectValidManifests(manifests: Json[]): void {
  const errors = manifests.flatMap(validateManifest);
  if (errors.length > 0) throw new Error(`${errors.length} invalid manifest field(s):\n  ${errors.join('\n  ')}`);
}

function modelErrors(model: ModelClass, obj: Json): string[] {
  try {
    new model(JSON.parse(JSON.stringify(obj))).validate();
    return [];
  } catch (e) {
    return [String((e as Error).message)];
  }
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED = /^(([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)\/)?([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function validateMetadata(obj: Json): string[] {
  const errors: string[] = [];
  const m = obj?.metadata;
  if (!m?.name) errors.push('metadata.name: required');
  else if (m.name.length > 253 || !DNS1123_SUBDOMAIN.test(m.name)) errors.push(`metadata.name: ${JSON.stringify(m.name)} is not a DNS-1123 subdomain`);
  if (m?.namespace !== undefined && (m.namespace.length > 63 || !DNS1123_LABEL.test(m.namespace))) errors.push(`metadata.namespace: ${JSON.stringify(m.namespace)} is not a DNS-1123 label`);
  if (obj?.kind === 'Namespace' && m?.name && (m.name.length > 63 || !DNS1123_LABEL.test(m.name))) errors.push(`metadata.name: ${JSON.stringify(m.name)} is not a DNS-1123 label`);
  for (const [k, v] of Object.entries<string>(m?.labels ?? {})) {
    if (!QUALIFIED.test(k)) errors.push(`metadata.labels: key ${JSON.stringify(k)} is not a qualified name`);
    if (typeof v !== 'string' || !LABEL_VALUE.test(v)) errors.push(`metadata.labels[${k}]: value ${JSON.stringify(v)} is not a label value`);
  }
  for (const [k, v] of Object.entries<string>(m?.annotations ?? {})) {
    if (!QUALIFIED.test(k)) errors.push(`metadata.annotations: key ${JSON.stringify(k)} is not a qualified name`);
    if (typeof v !== 'string') errors.push(`metadata.annotations[${k}]: value must be a string`);
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------
// Structural schema validation (apiextensions.k8s.io/v1), with defaulting and CEL.

function typeOf(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function applyDefaults(schema: Json, value: Json): void {
  if (!schema || typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) applyDefaults(schema.items, item);
    return;
  }
  for (const [k, sub] of Object.entries<Json>(schema.properties ?? {})) {
    if (value[k] === undefined && sub.default !== undefined) value[k] = JSON.parse(JSON.stringify(sub.default));
    if (value[k] !== undefined) applyDefaults(sub, value[k]);
  }
}

/**
 * @param structural whether `schema` is a structural schema node (unknown fields are errors), or a
 *   value-validation subschema under allOf/anyOf/oneOf/not (only its own constraints apply)
 */
function validateSchema(schema: Json, value: Json, path: string, errors: string[], structural: boolean, ignore?: Set<string>): void {
  if (!schema) return;
  const at = path || '<root>';
  if (structural) applyDefaults(schema, value);
  if (value === null) {
    if (!schema.nullable) errors.push(`${at}: null is not allowed`);
    return;
  }
  const t = typeOf(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (t !== 'integer' && t !== 'string') errors.push(`${at}: must be an integer or a string, got ${t}`);
  } else if (schema.type) {
    const ok = schema.type === t || (schema.type === 'number' && t === 'integer');
    if (!ok) {
      errors.push(`${at}: must be of type ${schema.type}, got ${t} ${JSON.stringify(value)}`);
      return;
    }
  }
  if (schema.enum && !schema.enum.some((e: Json) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (t === 'string') {
    const len = [...value].length;
    if (schema.maxLength !== undefined && len > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
    if (schema.minLength !== undefined && len < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (schema.pattern && !goRegExp(schema.pattern).test(value)) errors.push(`${at}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  }
  if (t === 'integer' || t === 'number') {
    if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum)) errors.push(`${at}: ${value} exceeds the maximum ${schema.maximum}`);
    if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum)) errors.push(`${at}: ${value} is below the minimum ${schema.minimum}`);
  }
  if (t === 'array') {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${at}: fewer than ${schema.minItems} items`);
    const listType = schema['x-kubernetes-list-type'];
    if (listType === 'set' || listType === 'map') {
      const keys = listType === 'map' ? schema['x-kubernetes-list-map-keys'] ?? [] : undefined;
      const seen = new Set<string>();
      for (const item of value) {
        const k = JSON.stringify(keys ? keys.map((x: string) => item?.[x]) : item);
        if (seen.has(k)) errors.push(`${at}: duplicate ${listType} entry ${k}`);
        seen.add(k);
      }
    }
    if (schema.items) value.forEach((item: Json, i: number) => validateSchema(schema.items, item, `${path}[${i}]`, errors, structural));
  }
  if (t === 'object') {
    for (const r of schema.required ?? []) if (value[r] === undefined) errors.push(`${path ? path + '.' : ''}${r}: required`);
    const n = Object.keys(value).length;
    if (schema.maxProperties !== undefined && n > schema.maxProperties) errors.push(`${at}: more than ${schema.maxProperties} properties`);
    if (schema.minProperties !== undefined && n < schema.minProperties) errors.push(`${at}: fewer than ${schema.minProperties} properties`);
    for (const [k, v] of Object.entries<Json>(value)) {
      if (ignore?.has(k)) continue;
      const sub = schema.properties?.[k] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (sub) {validateSchema(sub, v, path ? `${path}.${k}` : k, errors, structural);} else if (structural && !schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties !== true) {
        errors.push(`${path ? path + '.' : ''}${k}: unknown field (the API server would drop it silently)`);
      }
    }
  }
  for (const sub of schema.allOf ?? []) validateSchema(sub, value, path, errors, false);
  if (schema.anyOf && !schema.anyOf.some((sub: Json) => passes(sub, value, path))) errors.push(`${at}: matches none of anyOf ${describe(schema.anyOf)}`);
  if (schema.oneOf) {
    const n = schema.oneOf.filter((sub: Json) => passes(sub, value, path)).length;
    if (n !== 1) errors.push(`${at}: must match exactly one of oneOf ${describe(schema.oneOf)}, matches ${n}`);
  }
  if (schema.not && passes(schema.not, value, path)) errors.push(`${at}: must not match ${describe([schema.not])}`);
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    if (!load().source.cel) break;
    const problem = evaluateRule(rule, schema, value);
    if (problem) errors.push(`${at}: ${problem}`);
  }
}

const regexps = new Map<string, RegExp>();

/** A Go (RE2) pattern as a JavaScript RegExp; the CRD patterns use the common subset. */
function goRegExp(pattern: string): RegExp {
  let re = regexps.get(pattern);
  if (!re) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = new RegExp(pattern);
    }
    regexps.set(pattern, re);
  }
  return re;
}

function passes(schema: Json, value: Json, path: string): boolean {
  const errs: string[] = [];
  validateSchema(schema, value, path, errs, false);
  return errs.length === 0;
}

function describe(subs: Json[]): string {
  return JSON.stringify(subs).slice(0, 200);
}

// ---------------------------------------------------------------------------------------------------
// CEL (x-kubernetes-validations), with the Kubernetes library functions the CRDs use.

const cel = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false })
  .registerFunction('isURL(string): bool', (s: string) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  })
  .registerFunction('url(string): map', (s: string) => {
    const u = new URL(s);
    return { scheme: u.protocol.replace(/:$/, ''), host: u.host, hostname: u.hostname, port: u.port, path: u.pathname, query: u.search };
  })
  .registerFunction('hasField(dyn, string): bool', (obj: Json, field: string) => obj !== null && typeof obj === 'object' && !Array.isArray(obj) && obj[field] !== undefined)
  .registerFunction('map.getScheme(): string', (u: Json) => u.scheme)
  .registerFunction('map.getHost(): string', (u: Json) => u.host)
  .registerFunction('map.getHostname(): string', (u: Json) => u.hostname)
  .registerFunction('map.getPort(): string', (u: Json) => u.port)
  .registerFunction('map.getEscapedPath(): string', (u: Json) => u.path);

const compiled = new Map<string, (ctx: Json) => Json>();

function evaluateRule(rule: Json, schema: Json, value: Json): string | undefined {
  if (rule.rule.includes('oldSelf')) return undefined; // transition rules apply to updates only
  let fn = compiled.get(rule.rule);
  if (!fn) {
    // cel-js's has() accepts only field chains from an identifier; CEL allows any operand, e.g.
    // has(self.matches[0].path) in the Gateway API CRDs. Those become hasField(self.matches[0], "path").
    const text = rule.rule.replace(/has\(([^()]*\[[^()]*)\.([A-Za-z_][A-Za-z0-9_]*)\)/g, 'hasField($1, "$2")');
    const parsed = cel.parse(text);
    fn = (ctx: Json) => parsed(ctx);
    compiled.set(rule.rule, fn);
  }
  try {
    const ok = fn({ self: toCel(schema, value) });
    return ok === true ? undefined : `CEL rule failed: ${rule.message ?? rule.rule}`;
  } catch (e) {
    return `CEL rule errored (${String((e as Error).message).split('\n')[0]}): ${rule.rule}`;
  }
}

/** JSON → CEL values: integers become int (bigint) where the schema says integer. */
function toCel(schema: Json, value: Json): Json {
  if (value === null || value === undefined) return value;
  if (typeof value === 'number') {
    return (schema?.type === 'integer' || schema?.['x-kubernetes-int-or-string']) && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((v) => toCel(schema?.items, v));
  if (typeof value === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = toCel(schema?.properties?.[k] ?? (typeof schema?.additionalProperties === 'object' ? schema.additionalProperties : undefined), v);
    }
    return out;
  }
  return value;
}
