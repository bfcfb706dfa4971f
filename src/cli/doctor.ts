import type { Argv } from 'yargs';
import { collectDoctorReport } from '../doctor/report';
import { doctorLines } from '../doctor/format';

export interface DoctorArgs {
  json: boolean;
}

export function doctorBuilder(y: Argv): Argv<DoctorArgs> {
  return y.option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' }) as unknown as Argv<DoctorArgs>;
}

/** Prints what a bug report needs; exits 0 whatever is missing (only cpu available is a valid answer). */
export async function runDoctor(args: DoctorArgs): Promise<number> {
  const report = await collectDoctorReport();
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${doctorLines(report).join('\n')}\n`);
  return 0;
}
