import { IConstruct } from 'constructs';
import { invalidValue } from './errors';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
// SPIFFE trust domain: lowercase letters, digits, dots, dashes and underscores (SPIFFE-ID spec, section 2.1).
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;

interface NameRule {
  readonly pattern: RegExp;
  readonly max: number;
  readonly expected: string;
  readonly startWithLetter?: boolean;
}

const NAME_RULES = {
  label: {
    pattern: DNS1123_LABEL,
    max: 63,
    expected: 'a DNS-1123 label (1-63 characters of lowercase letters, digits and "-", starting and ending with a letter or digit)',
  },
  serviceName: {
    pattern: DNS1035_LABEL,
    max: 63,
    startWithLetter: true,
    expected: 'a DNS-1035 label (1-63 characters of lowercase letters, digits and "-", starting with a letter and ending with a letter or digit), because Istio creates a Service of that name',
  },
  subdomain: {
    pattern: DNS1123_SUBDOMAIN,
    max: 253,
    expected: 'a DNS-1123 subdomain (at most 253 characters; dot-separated labels of lowercase letters, digits and "-")',
  },
} satisfies Record<string, NameRule>;

function checkName(scope: IConstruct, what: string, value: string, rule: NameRule): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > rule.max || !rule.pattern.test(value)) {
    throw invalidValue(scope, what, value, rule.expected, `rename it, e.g. ${JSON.stringify(suggestName(value, rule.max, rule.startWithLetter))}`);
  }
  return value;
}

/** A Kubernetes DNS-1123 label: namespace names, most object names. */
export function checkDnsLabel(scope: IConstruct, what: string, value: string): string {
  return checkName(scope, what, value, NAME_RULES.label);
}

/** A Kubernetes DNS-1035 label: the names of objects that become Services (waypoints). */
export function checkDnsServiceName(scope: IConstruct, what: string, value: string): string {
  return checkName(scope, what, value, NAME_RULES.serviceName);
}

/** A Kubernetes DNS-1123 subdomain: most object names. */
export function checkDnsSubdomain(scope: IConstruct, what: string, value: string): string {
  return checkName(scope, what, value, NAME_RULES.subdomain);
}

/** A SPIFFE trust domain as Istio's meshConfig.trustDomain takes it (no scheme, no port, no path). */
export function checkTrustDomain(scope: IConstruct, value: string): string {
  if (typeof value === 'string' && value.startsWith('spiffe://')) {
    throw invalidValue(scope, 'trustDomain', value, 'a bare trust domain without the "spiffe://" scheme',
      `use ${JSON.stringify(value.slice('spiffe://'.length).split('/')[0])}`);
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 255 || !TRUST_DOMAIN.test(value)) {
    throw invalidValue(scope, 'trustDomain', value,
      'a SPIFFE trust domain: 1-255 characters of lowercase letters, digits, ".", "-" and "_" (no scheme, port or path)',
      'set trustDomain to the value of meshConfig.trustDomain in your Istio installation (default "cluster.local")');
  }
  return value;
}

/** A TCP/UDP port number. */
export function checkPort(scope: IConstruct, what: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw invalidValue(scope, what, value, 'an integer port from 1 to 65535', 'use the container port number the workload listens on');
  }
  return value;
}

/** Kubernetes label or annotation keys (`[prefix/]name`) and, for labels, values. */
export function checkMetadata(scope: IConstruct, what: 'labels' | 'annotations', entries: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(entries ?? {})) {
    checkQualifiedName(scope, `${what.slice(0, -1)} key`, key);
    if (typeof value !== 'string') {
      throw invalidValue(scope, `${what.slice(0, -1)} value for ${JSON.stringify(key)}`, value, 'a string', 'quote the value');
    }
    if (what === 'labels' && (value.length > 63 || !LABEL_VALUE.test(value))) {
      throw invalidValue(scope, `label value for ${JSON.stringify(key)}`, value,
        'a label value: at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit (or empty)',
        'shorten the value or move it to an annotation');
    }
    out[key] = value;
  }
  return out;
}

/** A label selector as used by `matchLabels`: valid keys and values, and at least one entry. */
export function checkSelector(scope: IConstruct, what: string, selector: Record<string, string> | undefined): Record<string, string> {
  const labels = checkMetadata(scope, 'labels', selector);
  if (Object.keys(labels).length === 0) {
    throw invalidValue(scope, what, selector ?? {}, 'at least one label (an empty selector matches every pod)',
      'name the labels that identify the pods, e.g. { "app": "my-app" }');
  }
  return labels;
}

function checkQualifiedName(scope: IConstruct, what: string, key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    throw invalidValue(scope, what, key,
      'a qualified name "[prefix/]name": an optional DNS subdomain prefix and a name of at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
      'rename the key, e.g. "example.com/team"');
  }
}

/** A DNS-1123-compliant rendering of `value`, offered in error messages. */
function suggestName(value: unknown, max: number, startWithLetter = false): string {
  let s = String(value ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  if (startWithLetter) s = s.replace(/^[0-9-]+/, '');
  s = s.slice(0, max).replace(/-+$/, '');
  return s.length > 0 ? s : 'my-name';
}

/** An IPv4 or IPv6 CIDR with its prefix length, e.g. "10.0.0.0/8" or "fd00::/8". */
export function checkCidr(scope: IConstruct, what: string, value: string): string {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(String(value));
  const v4 = m && /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(m[1]);
  const okV4 = !!v4 && v4.slice(1).every((o) => Number(o) <= 255) && Number(m![2]) <= 32;
  const okV6 = !!m && !v4 && /^[0-9a-f:]+$/i.test(m[1]) && m[1].includes(':') && (m[1].match(/::/g) ?? []).length <= 1 && Number(m[2]) <= 128;
  if (!okV4 && !okV6) {
    throw invalidValue(scope, what, value, 'an IPv4 or IPv6 CIDR with a prefix length, e.g. "10.0.0.0/8"', 'write the address range in CIDR notation');
  }
  return value;
}
