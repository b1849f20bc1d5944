/** One bounded autocannon run of `POST /api/v1/services` with a unique key per request. */
import autocannon from 'autocannon';
import { cpuMsOf } from './lib.js';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  errors: number;
  cpuMsPerReq: number;
  statusCodes: string;
}

export async function load(baseUrl: string, headers: Record<string, string>, tag: string, seconds: number, connections: number, pid: number): Promise<LoadResult> {
  let n = 0;
  const cpuBefore = cpuMsOf(pid);
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [{
      method: 'POST',
      path: '/api/v1/services',
      headers: { 'content-type': 'application/json', ...headers },
      setupRequest: (req) => ({
        ...req,
        body: JSON.stringify({ key: `svc-${tag}-${(n++).toString(36)}`, name: `Bench service ${n}`, tier: 2, description: 'created by bench/run.ts' }),
      }),
    }],
  });
  const cpuMs = cpuMsOf(pid) - cpuBefore;
  const codes = Object.entries(result.statusCodeStats ?? {}).map(([c, s]) => `${c}×${s.count}`).join(' ');
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    bad: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMsPerReq: result['2xx'] > 0 ? cpuMs / result['2xx'] : NaN,
    statusCodes: codes,
  };
}

