import yargs from 'yargs/yargs';
import { reportError, EXIT_USER } from './output';
import { runTrain, trainBuilder, TrainArgs } from './train';
import { runScore, scoreBuilder, ScoreArgs } from './score';
import { evalBuilder, EvalArgs, runEval } from './eval';
import { dataBuilder, DataArgs, runData } from './data';
import { reportBuilder, ReportArgs, runReport } from './report';
import { exportBuilder, ExportArgs, runExport } from './export';
import { benchBuilder, BenchArgs, runBenchCommand } from './bench';
import { predictBuilder, PredictArgs, runPredict } from './predict';
import { runServe, serveBuilder, ServeArgs } from './serve';
import { runSweep, sweepBuilder, SweepArgs } from './sweep';
import { doctorBuilder, DoctorArgs, runDoctor } from './doctor';
import { releaseBackend } from '../backend/select';
import { packageVersion } from '../util/version';

/**
 * Parses argv and runs one command; resolves to the exit code. Usage mistakes and UserErrors
 * print one line and give 2; anything else 1 (stack only with --verbose).
 */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes('--verbose');
  let run: (() => Promise<number>) | null = null;
  let usageError: string | null = null;
  const parser = yargs(argv)
    .scriptName('fundus-train')
    .usage('$0 --config FILE [--set key=value]... [--out DIR] [--backend B] [--resume]')
    .option('verbose', { type: 'boolean', default: false, describe: 'print stack traces of errors' })
    .command<TrainArgs>(['train', '$0'], 'train (or resume) an experiment from a config file', trainBuilder, (a) => {
      run = () => runTrain(a);
    })
    .command<EvalArgs>('eval', "evaluate a run's best checkpoint on its test split or another dataset", evalBuilder, (a) => {
      run = () => runEval(a);
    })
    .command<DataArgs>('data', 'audit a dataset: counts per class and split, unreadable or missing images, duplicates, leakage', dataBuilder, (a) => {
      run = () => runData(a);
    })
    .command<ScoreArgs>('score', 'metrics with confidence intervals from any predictions CSV', scoreBuilder, (a) => {
      run = () => runScore(a);
    })
    .command<ExportArgs>('export', "export a run's model: a TensorFlow.js GraphModel, ONNX, or timm-named safetensors", exportBuilder, (a) => {
      run = () => runExport(a);
    })
    .command<ReportArgs>('report <runs..>', 'one LaTeX table (and a text table) comparing several runs', reportBuilder, (a) => {
      run = () => runReport(a);
    })
    .command<BenchArgs>('bench', 'time training and inference steps of a model on synthetic images', benchBuilder, (a) => {
      run = () => runBenchCommand(a);
    })
    .command<PredictArgs>(
      'predict [images..]',
      'predict on photographs (files, folders, globs) and eye pairs; --cam writes heatmaps',
      predictBuilder,
      (a) => {
        run = () => runPredict(a);
      },
    )
    .command<ServeArgs>(
      'serve',
      'a local web app: upload right and left eye photographs, see grades, heatmaps and the referral note',
      serveBuilder,
      (a) => {
        run = () => runServe(a);
      },
    )
    .command<SweepArgs>(
      'sweep',
      'run a study (folds, seeds, grid) locally or on SLURM; --status, --wait, --resume, --ensemble',
      sweepBuilder,
      (a) => {
        run = () => runSweep(a);
      },
    )
    .command<DoctorArgs>(
      'doctor',
      'print what a bug report needs: Node, OS, every backend and why not, WebGPU adapter, CUDA libraries',
      doctorBuilder,
      (a) => {
        run = () => runDoctor(a);
      },
    )
    .strictOptions()
    .version(packageVersion())
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      // yargs' own argument errors (YError) are usage mistakes; anything else thrown by a builder is ours.
      if (err && err.name !== 'YError') throw err;
      usageError = msg ?? err?.message ?? 'invalid arguments';
    });
  try {
    await parser.parseAsync();
  } catch (e) {
    return reportError(e, verbose);
  }
  if (usageError) {
    process.stderr.write(`fundus-train: error: ${usageError} (see fundus-train --help)\n`);
    return EXIT_USER;
  }
  if (!run) return 0; // --help or --version
  try {
    return await (run as () => Promise<number>)();
  } catch (e) {
    return reportError(e, verbose);
  } finally {
    // Dawn's device keeps Node alive until destroyed.
    releaseBackend();
  }
}
