/** A Namespace manifest. */
export const namespace = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

/** The intents ConfigMap (`mesh-perimeter-intents` in istio-system) with `body` (its `data` and/or `binaryData`). */
export const intentsConfigMap = (body: Record<string, any>) =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mesh-perimeter-intents', namespace: 'istio-system' }, ...body });
