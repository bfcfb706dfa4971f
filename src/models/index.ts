// Importing a family file registers its variants.
import './vit';
import './efficientnet';

export * from './classifier';
export * from './registry';
export { Module } from './layers/module';
