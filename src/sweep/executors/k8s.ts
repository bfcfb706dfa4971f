import * as YAML from 'yaml';
import type { Plan } from '../plan';

export interface K8sOptions {
  /** Container image with fundus-train installed (default "fundus-train:latest"). */
  image?: string;
  /** Where the study directory is mounted in the pod (a shared volume; default: the same path). */
  mountPath?: string;
  /** The PersistentVolumeClaim holding the study directory (default "fundus-studies"). */
  claim?: string;
}

/**
 * A Kubernetes Indexed Job for the study: completion index i runs plan row i (JOB_COMPLETION_INDEX),
 * with the study's slurm.cpus as its CPU request and thread count. Printed by `sweep --executor k8s
 * --dry-run`; nothing is applied.
 */
export function k8sManifest(plan: Plan, options: K8sOptions = {}): string {
  const cpus = plan.slurm.cpus;
  const mount = options.mountPath ?? plan.dir;
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: plan.study
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .slice(0, 52),
    },
    spec: {
      completionMode: 'Indexed',
      completions: plan.rows.length,
      parallelism: plan.slurm.maxParallel ?? plan.rows.length,
      backoffLimitPerIndex: 1,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'run',
              image: options.image ?? 'fundus-train:latest',
              command: ['sh', '-c', `fundus-train sweep --task "$JOB_COMPLETION_INDEX" --out ${JSON.stringify(mount)}`],
              env: [{ name: 'FUNDUS_WASM_THREADS', value: String(cpus) }],
              resources: { requests: { cpu: String(cpus), ...(plan.slurm.mem ? { memory: plan.slurm.mem.replace(/G$/, 'Gi') } : {}) } },
              volumeMounts: [{ name: 'study', mountPath: mount }],
            },
          ],
          volumes: [{ name: 'study', persistentVolumeClaim: { claimName: options.claim ?? 'fundus-studies' } }],
        },
      },
    },
  };
  return YAML.stringify(job);
}
