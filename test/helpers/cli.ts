import { main } from '../../src/cli/main';

/** Runs main() and captures what it writes. */
export async function cli(args: string[], whileRunning?: (out: () => string) => Promise<void>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const running = main(args);
    if (whileRunning) await whileRunning(() => out);
    const code = await running;
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
