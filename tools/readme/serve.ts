/** Starts a server command, waits for the address it prints, asks it for that page, then stops it. */
import { spawn } from 'node:child_process';
import { killGroup } from '../run.js';

export interface Served {
  url: string;
  status: number;
}

const address = /https?:\/\/(?:localhost|127\.0\.0\.1|\[::1\]):\d+\/?\S*/;

export function serveOnce(line: string, cwd: string, timeoutSeconds = 120): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', line], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let settled = false;
    let asked = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      killGroup(child.pid);
      outcome();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no address after ${timeoutSeconds} s:\n${output}`))),
      timeoutSeconds * 1000,
    );
    const read = (chunk: string) => {
      output += chunk;
      const url = address.exec(output)?.[0];
      if (url === undefined || asked) return;
      asked = true;
      fetch(url).then(
        (response) => finish(() => resolve({ url, status: response.status })),
        (error: unknown) => finish(() => reject(new Error(`${url} did not answer (${error}):\n${output}`))),
      );
    };
    child.stdout.setEncoding('utf8').on('data', read);
    child.stderr.setEncoding('utf8').on('data', read);
    child.on('close', (code) => finish(() => reject(new Error(`exited ${code} before serving:\n${output}`))));
  });
}
