/**
 * istioctl over files: `validate` (the checks of Istio's validation webhook, plus istioctl's own on
 * Services and Deployments) and `analyze --use-kube=false` (every analyzer, offline, all namespaces).
 */
import { spawnSync } from 'node:child_process';

/** One thing istioctl said about a file. */
export interface IstioctlMessage {
  readonly command: 'validate' | 'analyze';
  /** `Error`, `Warning` or `Info`. */
  readonly level: string;
  /** The analyzer message code (`IST0…`), or `validate` for istioctl validate. */
  readonly code: string;
  readonly text: string;
}

/** `istioctl validate -f FILE`: its errors (non-zero exit) and the warnings it prints. */
export function validate(istioctl: string, file: string): IstioctlMessage[] {
  const r = spawnSync(istioctl, ['validate', '-f', file], { encoding: 'utf8' });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim())
    .filter((l) => l && l !== 'validation succeed' && !/^".*" is valid$/.test(l));
  const level = r.status === 0 ? 'Warning' : 'Error';
  return lines.map((text) => ({ command: 'validate', level: /^Error/i.test(text) ? 'Error' : level, code: 'validate', text }));
}

/** `istioctl analyze --use-kube=false -A FILE`: the analyzers that need no cluster, every message Info and up. */
export function analyze(istioctl: string, file: string): IstioctlMessage[] {
  return runAnalyze(istioctl, ['--use-kube=false', file]);
}

/**
 * `istioctl analyze -A` against a live API server (the kubeconfig's): every analyzer, including the
 * ones that need Namespaces, Pods and Services (authorization, injection and ambient checks).
 */
export function analyzeLive(istioctl: string, kubeconfig: string): IstioctlMessage[] {
  return runAnalyze(istioctl, ['--kubeconfig', kubeconfig]);
}

function runAnalyze(istioctl: string, args: string[]): IstioctlMessage[] {
  const r = spawnSync(istioctl, ['analyze', '--all-namespaces', '--output', 'json', '--output-threshold', 'Info', '--timeout', '120s', ...args],
    { encoding: 'utf8' });
  let messages: any[];
  try {
    messages = JSON.parse(r.stdout || '[]');
  } catch {
    return [{ command: 'analyze', level: 'Error', code: 'output', text: `unreadable output (exit ${r.status}): ${r.stdout}${r.stderr}` }];
  }
  if (r.status !== 0 && messages.every((m) => m.level !== 'Error')) {
    messages.push({ level: 'Error', code: 'exit', message: `exit ${r.status}: ${r.stderr}` });
  }
  return messages.map((m) => ({ command: 'analyze', level: m.level, code: m.code, text: `${m.message}${m.origin ? ` (${m.origin})` : ''}` }));
}
