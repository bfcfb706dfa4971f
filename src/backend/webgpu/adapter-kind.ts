/** What the WebGPU adapter says about itself (GPUAdapterInfo), as plain data. */
export interface AdapterIdentity {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** GPUAdapterInfo.isFallbackAdapter (or the older GPUAdapter.isFallbackAdapter) */
  isFallbackAdapter: boolean;
}

/** Names of CPU implementations of Vulkan/WebGPU: a match means the adapter is software, not a GPU. */
const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|\bwarp\b|\bcpu\b/i;

/**
 * Why this adapter is a CPU fallback rather than a real GPU, or undefined for a GPU. `auto` takes
 * webgpu only for a real GPU: a software adapter runs shaders on the CPU, slower than wasm.
 */
export function softwareAdapterReason(a: AdapterIdentity): string | undefined {
  if (a.isFallbackAdapter) return 'the adapter reports itself as a fallback (CPU) adapter';
  for (const key of ['vendor', 'architecture', 'device', 'description'] as const) {
    const match = SOFTWARE_NAMES.exec(a[key]);
    if (match != null) return `its ${key} '${a[key]}' names a CPU implementation (${match[0]})`;
  }
  return undefined;
}

/** One short name for the adapter: its description, else vendor and architecture. */
export function adapterName(a: AdapterIdentity): string {
  const parts = a.description !== '' ? [a.description] : [a.vendor, a.architecture, a.device].filter((p) => p !== '');
  return parts.length === 0 ? 'unnamed adapter' : parts.join(' ');
}
