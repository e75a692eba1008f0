// The construct library: everything an app declares a perimeter with. The importer's generated code runs
// against exactly this (src/importer/run-code.ts), so it does not import the package index.
export * from './dataplane-mode';
export * from './dns-selector';
export * from './egress-mode';
export * from './egress-perimeter';
export * from './enforcement';
export * from './external-host';
export * from './identity';
export * from './istio-version';
export * from './kernel-backstop';
export * from './kernel-flavor';
export * from './mesh-namespace';
export * from './mesh-perimeter';
export * from './mtls-mode';
export * from './observability-props';
export * from './request-conditions';
export * from './spiffe-allow';
export * from './spiffe-deny';
export * from './spiffe-rule-props';
export * from './waypoint';
export * from './waypoint-traffic-type';
export * from './workload';
