export * from './library';
export * from './importer/flow-outcome';
export * from './importer/perimeter-importer';
export * from './verifier/perimeter-assertion';
export * from './verifier/perimeter-verifier';

// Generated CRD bindings (src/imports/), one jsii submodule per API group.
export * as cilium_io from './imports/cilium.io';
export * as monitoring_coreos_com from './imports/monitoring.coreos.com';
export * as telemetry_istio_io from './imports/telemetry.istio.io';
export * as gateway_networking_k8s_io from './imports/gateway.networking.k8s.io';
export * as networking_istio_io from './imports/networking.istio.io';
export * as security_istio_io from './imports/security.istio.io';
