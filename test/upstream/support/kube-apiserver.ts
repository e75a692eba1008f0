/**
 * A real kube-apiserver with its etcd, on loopback, for server-side dry-run of synthesized objects.
 *
 * Both listen on 127.0.0.1 only, on free ports, with their data in a temporary folder. The apiserver
 * serves a self-signed certificate and allows every request that carries the random token written to
 * its token file (AlwaysAllow): nothing but this process can reach it. CRDs are installed from the CRD folder the JS validator reads.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import YAML from 'yaml';
import { tempDir } from './corpus';

/** What the server said about one object. */
export interface ServerAnswer {
  readonly code: number;
  readonly message: string;
  /** The fields the server names (`status.details.causes[].field`), e.g. `spec.selector`. */
  readonly fields: string[];
}

export class KubeApiServer {
  /** Starts etcd and kube-apiserver; resolves when the apiserver is ready. */
  public static async start(binaries: { etcd: string; apiserver: string }): Promise<KubeApiServer> {
    const dir = tempDir('apiserver');
    const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    const etcd = spawnLogged(binaries.etcd, [
      '--name=judge', `--data-dir=${join(dir, 'etcd')}`, '--unsafe-no-fsync',
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`, `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=judge=http://127.0.0.1:${etcdPeer}`, '--log-level=error',
    ], join(logs, 'etcd.log'));
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(join(dir, 'sa.key'), key);
    const token = randomBytes(24).toString('hex');
    writeFileSync(join(dir, 'tokens.csv'), `${token},judge,judge,system:masters\n`);
    const apiserver = spawnLogged(binaries.apiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${securePort}`,
      `--cert-dir=${join(dir, 'certs')}`,
      '--authorization-mode=AlwaysAllow', `--token-auth-file=${join(dir, 'tokens.csv')}`,
      `--service-account-key-file=${join(dir, 'sa.key')}`, `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--enable-priority-and-fairness=false',
      // the advertised address is loopback, which the endpoints reconciler refuses: no kubernetes Service endpoints
      '--endpoint-reconciler-type=none',
      // every object is only dry-run, so its namespace never exists: skip the admission check that it does
      // (NamespaceLifecycle validates nothing in the object itself)
      '--disable-admission-plugins=NamespaceLifecycle',
    ], join(logs, 'kube-apiserver.log'));
    const server = new KubeApiServer(`https://127.0.0.1:${securePort}`, token, [apiserver, etcd], dir);
    try {
      await server.waitReady();
    } catch (e) {
      await server.stop({ keepLogs: true });
      throw e;
    }
    return server;
  }

  private readonly agent = new Agent({ rejectUnauthorized: false, keepAlive: true });
  private readonly resources = new Map<string, { plural: string; namespaced: boolean }>();

  private constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly processes: ChildProcess[],
    private readonly dir: string,
  ) {}

  /** Where the apiserver and etcd write their logs. */
  public get logs(): string {
    return join(this.dir, 'logs');
  }

  /** Installs every CRD in the YAML files under `dirs`, and waits until each one is established. */
  public async installCrds(dirs: string[]): Promise<string[]> {
    const crds = dirs.flatMap(yamlFiles).flatMap((f) => YAML.parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS()))
      .filter((d) => d?.kind === 'CustomResourceDefinition');
    for (const crd of crds) {
      const res = await this.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
      if (res.code !== 201 && res.code !== 409) throw new Error(`CRD ${crd.metadata.name} not installed: ${res.code} ${res.message}`);
    }
    for (const crd of crds) {
      await this.until(`CRD ${crd.metadata.name} established`, async () => {
        const res = await this.call('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
        return (res.body?.status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True');
      });
    }
    this.resources.clear();
    return crds.map((c) => c.metadata.name);
  }

  /**
   * Creates `obj` with dryRun=All and strict field validation — what `kubectl apply --dry-run=server`
   * does for an object that does not exist yet: defaulting, OpenAPI schema, CEL rules, admission;
   * nothing is stored.
   */
  public async dryRunCreate(obj: any): Promise<ServerAnswer> {
    const path = await this.collection(obj);
    const res = await this.call('POST', `${path}?dryRun=All&fieldManager=mesh-perimeter-conformance&fieldValidation=Strict`, obj);
    return { code: res.code, message: res.message, fields: (res.body?.details?.causes ?? []).map((c: any) => c.field).filter((f: any) => f) };
  }

  /** Server-side apply of `obj`, stored for real (for tools that read a live cluster, like istioctl analyze). */
  public async apply(obj: any): Promise<ServerAnswer> {
    const path = `${await this.collection(obj)}/${obj.metadata.name}`;
    const res = await this.call('PATCH', `${path}?fieldManager=mesh-perimeter-conformance&fieldValidation=Strict&force=true`, obj, 'application/apply-patch+yaml');
    return { code: res.code, message: res.message, fields: [] };
  }

  /** Writes a kubeconfig for this server (its token; the self-signed certificate is not verified) and returns its path. */
  public kubeconfig(): string {
    const path = join(this.dir, 'kubeconfig');
    writeFileSync(path, YAML.stringify({
      'apiVersion': 'v1',
      'kind': 'Config',
      'current-context': 'judge',
      'clusters': [{ name: 'judge', cluster: { 'server': this.url, 'insecure-skip-tls-verify': true } }],
      'users': [{ name: 'judge', user: { token: this.token } }],
      'contexts': [{ name: 'judge', context: { cluster: 'judge', user: 'judge' } }],
    }));
    return path;
  }

  /** Stops the apiserver, then etcd, and removes their data (but for the logs, if asked). */
  public async stop(options: { keepLogs?: boolean } = {}): Promise<void> {
    this.agent.destroy();
    for (const p of this.processes) {
      p.kill('SIGTERM');
      await new Promise((resolve) => (p.exitCode !== null ? resolve(undefined) : p.once('exit', resolve)));
    }
    const gone = options.keepLogs ? readdirSync(this.dir).filter((e) => e !== 'logs').map((e) => join(this.dir, e)) : [this.dir];
    for (const path of gone) rmSync(path, { recursive: true, force: true });
  }

  /** The URL path of the collection `obj` belongs to, from the server's discovery of its group and version. */
  private async collection(obj: any): Promise<string> {
    const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const key = `${obj.apiVersion}/${obj.kind}`;
    if (!this.resources.has(key)) {
      const res = await this.call('GET', base);
      for (const r of res.body?.resources ?? []) {
        if (!r.name.includes('/')) this.resources.set(`${obj.apiVersion}/${r.kind}`, { plural: r.name, namespaced: r.namespaced });
      }
    }
    const r = this.resources.get(key);
    if (!r) throw new Error(`the server does not serve ${key}`);
    const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace}` : '';
    return `${base}${ns}/${r.plural}`;
  }

  private async waitReady(): Promise<void> {
    await this.until('kube-apiserver ready', async () => (await this.call('GET', '/readyz').catch(() => ({ code: 0 }))).code === 200, 120_000);
  }

  private async until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      const exited = this.processes.find((p) => p.exitCode !== null);
      if (exited) throw new Error(`${what}: ${exited.spawnfile} exited with ${exited.exitCode} (logs in ${this.logs})`);
      if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs / 1000} s (logs in ${this.logs})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private call(method: string, path: string, body?: any, contentType = 'application/json'): Promise<{ code: number; message: string; body: any }> {
    const data = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}${path}`, {
        method, agent: this.agent, headers: { Accept: 'application/json', Authorization: `Bearer ${this.token}`, ...(data ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data) } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any;
          try { parsed = JSON.parse(text); } catch { parsed = undefined; }
          resolve({ code: res.statusCode ?? 0, message: parsed?.message ?? text, body: parsed });
        });
      });
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }
}

function spawnLogged(binary: string, args: string[], log: string): ChildProcess {
  writeFileSync(log, '');
  const child = spawn('sh', ['-c', 'exec "$0" "$@" >> "$LOG" 2>&1', binary, ...args], { env: { ...process.env, LOG: log }, stdio: 'ignore' });
  return child;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function yamlFiles(path: string): string[] {
  if (statSync(path).isFile()) return path.endsWith('.yaml') ? [path] : [];
  return readdirSync(path).sort().flatMap((f) => yamlFiles(join(path, f)));
}
