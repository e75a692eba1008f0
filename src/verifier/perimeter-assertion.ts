import { IConstruct } from 'constructs';
import { comparisonReport, formatVerdict } from './format';
import { CheckOptions, PerimeterVerifier, VerifierOptions } from './perimeter-verifier';

/**
 * Assertions over a perimeter for tests: `PerimeterAssertion.of(chart).toAllow(...)`. Failures throw
 * with the hop-by-hop reasons. TypeScript and JavaScript users may call `expectPerimeter(chart)`.
 */
export class PerimeterAssertion {
  /** Assertions over every object of the app `scope` belongs to (no synthesis is run). */
  public static of(scope: IConstruct, options: VerifierOptions = {}): PerimeterAssertion {
    return new PerimeterAssertion(PerimeterVerifier.fromConstruct(scope.node.root, options));
  }

  /** Assertions over a verifier built from YAML or manifests. */
  public static ofVerifier(verifier: PerimeterVerifier): PerimeterAssertion {
    return new PerimeterAssertion(verifier);
  }

  private constructor(public readonly verifier: PerimeterVerifier) {}

  /** Asserts that `from` reaches `to` on `port` (see `PerimeterVerifier.check`). */
  public toAllow(from: string, to: string, port: number, options: CheckOptions = {}): PerimeterAssertion {
    const v = this.verifier.check(from, to, port, options);
    if (!v.allowed) throw new Error(`expected ${from} to reach ${to}:${port}, but it is denied:\n${formatVerdict(v, request(options))}`);
    return this;
  }

  /** Asserts that `from` cannot reach `to` on `port`. */
  public toDeny(from: string, to: string, port: number, options: CheckOptions = {}): PerimeterAssertion {
    const v = this.verifier.check(from, to, port, options);
    if (v.allowed) throw new Error(`expected ${from} not to reach ${to}:${port}, but it is allowed:\n${formatVerdict(v, request(options))}`);
    return this;
  }

  /** Asserts that the manifests allow exactly the declared intents, and that no object references nothing. */
  public toMatchIntents(): PerimeterAssertion {
    const c = this.verifier.compare();
    const errors = this.verifier.findings().filter((f) => f.severity === 'error');
    if (c.overPermission.length + c.underPermission.length + c.layerMismatch.length + errors.length > 0) {
      throw new Error(`the manifests do not match the declared intents:\n${comparisonReport(c, errors)}`);
    }
    return this;
  }
}

/** `expect`-style entry point for TypeScript tests: `expectPerimeter(chart).toAllow('shop/web', 'shop/api', 8080)`. */
export function expectPerimeter(scope: IConstruct, options: VerifierOptions = {}): PerimeterAssertion {
  return PerimeterAssertion.of(scope, options);
}

function request(o: CheckOptions): string {
  return [o.method, o.path].filter(Boolean).join(' ');
}
