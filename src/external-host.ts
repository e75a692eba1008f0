import { IConstruct } from 'constructs';
import { IstioVersion } from './istio-version';
import { conflict, invalidValue } from './private/errors';
import { EgressHostSpec } from './private/intent-graph';
import { MeshSettings } from './private/settings';
import { checkPort } from './private/validation';

/** Options for `ExternalHost.tlsOrigination`. */
export interface TlsOriginationOptions {
  /**
   * The plaintext HTTP port the workload calls.
   * @default 80
   */
  readonly port?: number;
  /**
   * The TLS port of the external host, which the egress waypoint connects to.
   * @default 443
   */
  readonly targetPort?: number;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * An external destination: a DNS name and port, with how the traffic is carried. Wildcards exist only
 * through `ExternalHost.wildcardTls`.
 */
export class ExternalHost {
  /** TLS to `host` (passed through, not terminated); callers are also pinned by SNI. */
  public static tls(host: string, port: number = 443): ExternalHost {
    return new ExternalHost({ host, port, protocol: 'TLS', wildcard: false });
  }

  /** Plaintext HTTP to `host`. */
  public static http(host: string, port: number = 80): ExternalHost {
    return new ExternalHost({ host, port, protocol: 'HTTP', wildcard: false });
  }

  /**
   * The workload speaks plain HTTP; the egress waypoint opens TLS to the host (DestinationRule
   * `tls.mode: SIMPLE` with the host as SNI). Waypoint mode only.
   */
  public static tlsOrigination(host: string, options: TlsOriginationOptions = {}): ExternalHost {
    return new ExternalHost({ host, port: options.port ?? 80, targetPort: options.targetPort ?? 443, protocol: 'HTTP', wildcard: false, originateTls: true });
  }

  /**
   * TLS to any host matching `*.domain` (a ServiceEntry with `resolution: DYNAMIC_DNS`, Istio >= 1.28),
   * pinned by SNI. Only through an egress waypoint.
   */
  public static wildcardTls(pattern: string, port: number = 443): ExternalHost {
    return new ExternalHost({ host: pattern, port, protocol: 'TLS', wildcard: true });
  }

  /**
   * Plain HTTP to any host matching `*.domain` (a ServiceEntry with `resolution: DYNAMIC_DNS`,
   * Istio >= 1.28). Only through an egress waypoint.
   */
  public static wildcardHttp(pattern: string, port: number = 80): ExternalHost {
    return new ExternalHost({ host: pattern, port, protocol: 'HTTP', wildcard: true });
  }

  private constructor(private readonly spec: Omit<EgressHostSpec, 'name'>) {}

  /** `host:port`. */
  public toString(): string {
    return `${this.spec.host}:${this.spec.port}`;
  }

  /**
   * Validates the host for use under `scope` and renders it as plain data.
   * @internal
   */
  public _resolve(scope: IConstruct, settings: MeshSettings, direct: boolean): EgressHostSpec {
    const s = this.spec;
    const bare = s.wildcard ? String(s.host).replace(/^\*\./, '') : s.host;
    if (typeof s.host !== 'string' || (s.wildcard && !s.host.startsWith('*.')) || !HOSTNAME.test(bare)) {
      throw invalidValue(scope, 'external host', s.host,
        s.wildcard ? 'a wildcard "*.<domain>" over a valid DNS name' : 'a fully qualified DNS name (RFC 1123, lowercase, with a dot; no "*")',
        s.host === '*' || (!s.wildcard && String(s.host).includes('*'))
          ? 'name each host, or use ExternalHost.wildcardTls("*.example.com") (or wildcardHttp) for a whole domain'
          : 'use the DNS name the workload connects to, e.g. "api.example.com"');
    }
    checkPort(scope, `port of ${s.host}`, s.port);
    if (s.targetPort !== undefined) checkPort(scope, `target port of ${s.host}`, s.targetPort);
    if (s.protocol === 'HTTP' && !s.originateTls && s.port === 443) {
      throw invalidValue(scope, `port of HTTP host ${s.host}`, s.port, 'a plaintext HTTP port (443 carries TLS)',
        `use ExternalHost.tls("${s.host}") for TLS passthrough, or ExternalHost.tlsOrigination("${s.host}") to let the waypoint open TLS`);
    }
    if (s.protocol === 'TLS' && s.port === 80) {
      throw invalidValue(scope, `port of TLS host ${s.host}`, s.port, 'a TLS port (80 carries plaintext HTTP)', `use ExternalHost.http("${s.host}") or the host's TLS port`);
    }
    if (direct && (s.wildcard || s.originateTls)) {
      throw conflict(scope, `${s.wildcard ? 'wildcard hosts' : 'TLS origination'} (${s.host}) need an egress waypoint`,
        'use EgressMode.WAYPOINT for this namespace, or name each host with ExternalHost.tls');
    }
    if (s.wildcard && !settings.istioVersion.atLeast(IstioVersion.V1_28)) {
      throw conflict(scope, `wildcard host ${s.host} needs a DYNAMIC_DNS ServiceEntry, which Istio ${settings.istioVersion} does not have (1.28+)`,
        'name each host with ExternalHost.tls, or target Istio 1.28 or newer');
    }
    const name = s.wildcard ? `wildcard-${bare.replace(/\./g, '-')}` : s.host.replace(/\./g, '-');
    return { ...s, name: name.slice(0, 63).replace(/-+$/, '') };
  }
}
