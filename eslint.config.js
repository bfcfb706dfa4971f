// ESLint: typescript-eslint's recommended rules over sources, tests and scripts; formatting is Prettier's job.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'runs/**', 'studies/**', 'src/backend/wasm/native/kernels-binary.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // Unused arguments named _x are deliberate (interfaces, callbacks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // tfjs and the wasm module hand us untyped objects; `any` is confined and commented where used.
      '@typescript-eslint/no-explicit-any': 'off',
      // CommonJS: optional backends (tfjs-node, webgpu, onnxruntime-node) are required lazily, scripts are plain Node.
      '@typescript-eslint/no-require-imports': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        performance: 'readonly',
      },
    },
  },
);
