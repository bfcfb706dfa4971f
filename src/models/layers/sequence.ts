import { Module } from './module';

/** A numbered list of children (timm's nn.Sequential): names "0", "1", ... */
export class Sequence extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.addChild(name, m);
  }
  getConfig(): Record<string, unknown> {
    return {};
  }
}
