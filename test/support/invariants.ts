/** Fields istiod treats as HTTP-only: in a ztunnel (selector) policy they drop an ALLOW rule or gut a DENY. */
const L7_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];
const L7_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals', 'remoteIpBlocks', 'notRemoteIpBlocks'];
const L4_WHEN_KEYS = ['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port'];

/** The L7 fields of an AuthorizationPolicy, as "rule[i].path" strings. */
export function l7FieldsOf(policy: any): string[] {
  const found: string[] = [];
  (policy.spec?.rules ?? []).forEach((rule: any, i: number) => {
    for (const f of rule.from ?? []) for (const k of L7_SOURCE_FIELDS) if (f.source?.[k]) found.push(`rules[${i}].from.source.${k}`);
    for (const t of rule.to ?? []) for (const k of L7_OPERATION_FIELDS) if (t.operation?.[k]) found.push(`rules[${i}].to.operation.${k}`);
    for (const w of rule.when ?? []) if (!L4_WHEN_KEYS.includes(w.key)) found.push(`rules[${i}].when[${w.key}]`);
  });
  return found;
}

/** Every AuthorizationPolicy that ztunnel enforces (no targetRefs) is free of L7 fields. */
export function expectNoL7AtZtunnel(manifests: any[]): void {
  const bad = manifests
    .filter((m) => m.kind === 'AuthorizationPolicy' && !m.spec?.targetRefs)
    .flatMap((m) => l7FieldsOf(m).map((f) => `${m.metadata.namespace}/${m.metadata.name}: ${f}`));
  if (bad.length > 0) throw new Error(`L7 fields in ztunnel policies:\n  ${bad.join('\n  ')}`);
}
