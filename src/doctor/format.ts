import { DoctorReport } from './report';

const MIB = 2 ** 20;

/** The report as text, one fact per line, for pasting into a bug report. */
export function doctorLines(r: DoctorReport): string[] {
  const lines = [
    `fundus-train ${r.fundusTrain.version}${r.fundusTrain.commit == null ? '' : ` (commit ${r.fundusTrain.commit.slice(0, 12)})`}`,
    `node         ${r.node.version} (V8 ${r.node.v8})`,
    `os           ${r.os.platform} ${r.os.release} ${r.os.arch}`,
    `cpu          ${r.os.cpuModel}, ${r.os.cores} cores`,
    `memory       ${r.os.memoryGiB} GiB (${r.os.freeMemoryGiB} GiB free)`,
    `tfjs-core    ${r.tfjs.core}`,
    'backends:',
    ...r.backends.map((b) => `  ${b.name.padEnd(10)} ${b.available ? 'available' : 'not available'}: ${b.detail}`),
    `wasm         ${r.wasm == null ? 'not available' : `SIMD ${r.wasm.simd ? 'yes' : 'no'}, ${r.wasm.threads} thread${r.wasm.threads === 1 ? '' : 's'}, ${r.wasm.fma ? 'fused multiply-add (relaxed SIMD)' : 'no fused multiply-add'}`}`,
  ];
  const a = r.webgpu.adapter;
  if (a == null) {
    lines.push(`webgpu       no adapter: ${r.webgpu.reason ?? 'unknown'}`);
  } else {
    lines.push(
      `webgpu       ${a.name} (vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}): ` +
        (a.software ? `software, not a GPU (${a.softwareReason})` : 'a GPU'),
    );
    const l = a.limits;
    lines.push(
      `             max storage binding ${Math.round((l.maxStorageBufferBindingSize ?? 0) / MIB)} MiB, ` +
        `max buffer ${Math.round((l.maxBufferSize ?? 0) / MIB)} MiB, workgroup storage ${l.maxComputeWorkgroupStorageSize ?? '?'} B, ` +
        `invocations ${l.maxComputeInvocationsPerWorkgroup ?? '?'}`,
    );
  }
  const libs = Object.entries(r.cuda.libraries)
    .map(([name, where]) => `${name} ${where ?? 'not found'}`)
    .join('; ');
  lines.push(`cuda libs    ${libs}`);
  lines.push(
    `nvidia       ${r.cuda.driverVersion == null ? 'no driver found' : `driver ${r.cuda.driverVersion}`}` +
      `${r.cuda.driverCudaVersion == null ? '' : `, CUDA ${r.cuda.driverCudaVersion}`}${r.cuda.gpus.length > 0 ? `, ${r.cuda.gpus.join(', ')}` : ''}`,
  );
  lines.push(`sharp        ${r.sharp == null ? 'not loadable' : `${r.sharp.sharp} (libvips ${r.sharp.vips})`}`);
  return lines;
}
