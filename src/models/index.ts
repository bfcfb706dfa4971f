// Importing a family file registers its variants.
import './vit';
import './efficientnet';
import './swin';
import './resnet';
import './densenet';
import './vgg';
// Hugging Face transformers names -> timm's, for loadWeights.
import './name-maps';

export * from './classifier';
export * from './registry';
export { Module } from './layers/module';
