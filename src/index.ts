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
export * from './request-conditions';
export * from './spiffe-allow';
export * from './spiffe-deny';
export * from './waypoint';
export * from './waypoint-traffic-type';
export * from './workload';
export * from './importer/flow-outcome';
export * from './importer/perimeter-importer';
export * from './verifier/perimeter-assertion';
export * from './verifier/perimeter-verifier';

// Generated CRD bindings (src/imports/), one jsii submodule per API group.
export * as cilium_io from './imports/cilium.io';
export * as gateway_networking_k8s_io from './imports/gateway.networking.k8s.io';
export * as networking_istio_io from './imports/networking.istio.io';
export * as security_istio_io from './imports/security.istio.io';
