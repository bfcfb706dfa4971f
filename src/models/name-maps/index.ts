// Importing this registers the translations from other libraries' parameter names to timm's.
import { registerNameMap } from '../load-weights';
import { hfSwinv2NameMap } from './hf-swinv2';
import { hfVitNameMap } from './hf-vit';

registerNameMap(hfVitNameMap);
registerNameMap(hfSwinv2NameMap);

export { hfSwinv2NameMap, hfVitNameMap };
