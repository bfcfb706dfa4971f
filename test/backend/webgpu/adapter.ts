import * as childProcess from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dawnAddonPath, SOFTWARE_VULKAN_ICDS } from '../../../src/backend/webgpu/dawn';

/**
 * Why no WebGPU adapter of any kind (GPU or software) can be had here, or undefined when one can. Asked
 * in a child process so that the answer is known when the tests are declared (and costs this process
 * no Dawn instance).
 */
export function noAdapterReason(): string | undefined {
  let addon: string;
  try {
    addon = dawnAddonPath();
  } catch {
    return "the 'webgpu' package is not installed";
  }
  if (!fs.existsSync(addon)) return `no prebuilt Dawn for ${process.platform}-${process.arch}`;
  const icd = SOFTWARE_VULKAN_ICDS.find((f) => fs.existsSync(f));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? os.tmpdir() };
  if (icd != null && env.VK_ICD_FILENAMES == null && env.VK_DRIVER_FILES == null) env.VK_ADD_DRIVER_FILES = icd;
  const script = `require(${JSON.stringify(addon)}).create([]).requestAdapter().then((a) => process.exit(a ? 0 : 3), () => process.exit(4));`;
  const r = childProcess.spawnSync(process.execPath, ['-e', script], { env, timeout: 60_000, encoding: 'utf8' });
  return r.status === 0 ? undefined : 'Dawn finds no adapter (no GPU driver, no SwiftShader or lavapipe it accepts)';
}

/** `describe` when a WebGPU adapter can be had, else `describe.skip` with one line saying why. */
export function describeIfAdapter(): jest.Describe {
  const reason = noAdapterReason();
  if (reason == null) {
    offerSoftwareVulkanInJest();
    return describe;
  }

  console.log(`skipping the webgpu tests: ${reason}`);
  return describe.skip;
}

/**
 * Jest gives each test file a copy of process.env, so what src/backend/webgpu/dawn.ts sets there never
 * reaches the Vulkan loader in this process (it does in a real `node`). process.loadEnvFile writes the
 * real environment: offer the software driver the same way before Dawn first loads.
 */
export function offerSoftwareVulkanInJest(): void {
  const icd = SOFTWARE_VULKAN_ICDS.find((f) => fs.existsSync(f));
  if (icd == null || ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'].some((v) => process.env[v])) return;
  const file = path.join(os.tmpdir(), `fundus-webgpu-${process.pid}.env`);
  fs.writeFileSync(file, `VK_ADD_DRIVER_FILES=${icd}\nXDG_RUNTIME_DIR=${os.tmpdir()}\n`);
  try {
    (process as unknown as { loadEnvFile(f: string): void }).loadEnvFile(file);
  } finally {
    fs.rmSync(file, { force: true });
  }
}
