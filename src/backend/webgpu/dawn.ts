import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AdapterIdentity, adapterName, softwareAdapterReason } from './adapter-kind';
import { BINDING_LIMIT_ENV, requestedBindingBytes } from './binding-limit';

/**
 * Dawn's Node binding (the `webgpu` npm package). Its index.js is an ES module, so the native addon it
 * wraps is loaded directly (CommonJS, jest and plain node alike); only the parts used here are typed.
 */
export interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<DawnAdapter | null>;
}

export interface DawnAdapter {
  readonly info?: Partial<AdapterIdentity>;
  readonly isFallbackAdapter?: boolean;
  readonly limits: Record<string, number>;
  readonly features: { has(name: string): boolean };
  requestDevice(descriptor: { requiredLimits?: Record<string, number>; requiredFeatures?: string[] }): Promise<DawnDevice>;
}

export interface DawnDevice {
  destroy(): void;
  addEventListener(type: 'uncapturederror', listener: (event: { error: { message: string } }) => void): void;
  readonly limits: Record<string, number>;
  readonly lost: Promise<unknown>;
}

interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

/** The limits tfjs-webgpu's shaders depend on; the device asks for the adapter's maximum of each. */
export const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * Software Vulkan drivers to offer the Vulkan loader when it finds no adapter by itself: SwiftShader as
 * Chromium and Chrome ship it. (Mesa's lavapipe is found without help when installed, but Dawn rejects
 * the one in Debian 12, Mesa 22.3: it lacks dynamic indexing of storage image arrays.)
 */
export const SOFTWARE_VULKAN_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

/** An adapter found, with what `auto` and doctor need to know about it. */
export interface AdapterReport {
  identity: AdapterIdentity;
  name: string;
  /** why it is a CPU fallback; undefined for a real GPU */
  software?: string;
  limits: Record<string, number>;
  /** the software Vulkan driver fundus-train offered the loader, when that is the adapter found */
  icd?: string;
}

export interface FoundAdapter {
  adapter: DawnAdapter;
  gpu: DawnGpu;
  globals: Record<string, unknown>;
  report: AdapterReport;
}

let dawn: DawnModule | undefined;
/** The software driver this module put in VK_ADD_DRIVER_FILES (so that it is not taken for the user's choice). */
let offered: string | undefined;

/** Path of the prebuilt dawn.node for this platform inside the `webgpu` package. */
export function dawnAddonPath(): string {
  const pkg = path.dirname(require.resolve('webgpu/package.json'));
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return path.join(pkg, 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

/** Loads Dawn (throws with the reason when the package or its prebuilt addon is missing). */
export function loadDawn(): DawnModule {
  if (dawn != null) return dawn;
  let addon: string;
  try {
    addon = dawnAddonPath();
  } catch {
    throw new Error("the 'webgpu' package (Dawn's Node binding) is not installed");
  }
  if (!fs.existsSync(addon)) throw new Error(`the 'webgpu' package has no prebuilt Dawn for ${process.platform}-${process.arch} (${addon})`);
  // Mesa's Vulkan drivers print an error without it even when they never touch a display.
  process.env.XDG_RUNTIME_DIR ??= os.tmpdir();
  dawn = require(addon) as DawnModule;
  return dawn;
}

/**
 * Finds the best WebGPU adapter Dawn can open. Unless the user chose Vulkan drivers themselves (VK_*
 * variables), a software Vulkan driver is offered to the loader beside the system's: the loader reads
 * the list once per process (a retry could not add it), and Dawn sorts adapters by the power
 * preference asked for, a high-performance GPU before a fallback one, so a real GPU still wins.
 * Resolves to why there is none, as a string, when nothing works.
 */
export async function findAdapter(): Promise<FoundAdapter | string> {
  const added = process.env.VK_ADD_DRIVER_FILES;
  const userChose = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES'].some((v) => process.env[v]) || (added != null && added !== offered);
  const icd = userChose ? undefined : SOFTWARE_VULKAN_ICDS.find((f) => fs.existsSync(f));
  if (icd != null) process.env.VK_ADD_DRIVER_FILES = offered = icd;
  let module: DawnModule;
  try {
    module = loadDawn();
  } catch (e) {
    return (e as Error).message;
  }
  const gpu = module.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter != null) return found(module, gpu, adapter, icd);
  const with_ = icd != null ? ` (also offered ${icd})` : userChose ? ' (with the Vulkan drivers named in VK_*_FILES)' : '';
  return `Dawn found no WebGPU adapter${with_}: no GPU driver it supports, and no software Vulkan such as Chromium's SwiftShader`;
}

function found(module: DawnModule, gpu: DawnGpu, adapter: DawnAdapter, icd?: string): FoundAdapter {
  const report = describeAdapter(adapter);
  // Only say the software driver was offered when it is the one taken.
  if (icd != null && report.software != null) report.icd = icd;
  return { adapter, gpu, globals: module.globals, report };
}

export function describeAdapter(adapter: DawnAdapter): AdapterReport {
  const info = adapter.info ?? {};
  const identity: AdapterIdentity = {
    vendor: String(info.vendor ?? ''),
    architecture: String(info.architecture ?? ''),
    device: String(info.device ?? ''),
    description: String(info.description ?? ''),
    isFallbackAdapter: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
  };
  const limits: Record<string, number> = {};
  for (const key of REQUESTED_LIMITS) {
    const v = adapter.limits[key];
    if (typeof v === 'number') limits[key] = v;
  }
  return { identity, name: adapterName(identity), software: softwareAdapterReason(identity), limits };
}

/**
 * Opens a device with the adapter's maximum of every limit tfjs-webgpu uses (defaults are far lower:
 * 128 MiB bindings), or the binding size FUNDUS_WEBGPU_BINDING_LIMIT_MIB asks for. tfjs-webgpu does
 * not split a tensor larger than the binding: Dawn rejects it and the results are garbage. Training
 * and inference split their batches to stay under it (pass-plan.ts); should anything still exceed a
 * limit, Dawn's error is printed, once, with what to change.
 */
export async function openDevice(adapter: DawnAdapter): Promise<DawnDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const key of REQUESTED_LIMITS) {
    const v = adapter.limits[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  if (requiredLimits.maxStorageBufferBindingSize != null) {
    requiredLimits.maxStorageBufferBindingSize = requestedBindingBytes(requiredLimits.maxStorageBufferBindingSize);
  }
  // timestamp-query lets tfjs time kernels (bench --profile).
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  let reported = false;
  device.addEventListener('uncapturederror', (event) => {
    if (reported) return;
    reported = true;
    const mib = Math.round((requiredLimits.maxStorageBufferBindingSize ?? 0) / 2 ** 20);
    process.stderr.write(
      `webgpu error: ${event.error.message.split('\n')[0]} (results after this are invalid; ` +
        `if a tensor exceeds the device's ${mib} MiB storage binding, lower train.microBatch, train.batchSize or model.imageSize` +
        `${process.env[BINDING_LIMIT_ENV] != null ? `, or raise ${BINDING_LIMIT_ENV}` : ''})\n`,
    );
  });
  return device;
}
