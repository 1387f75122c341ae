// ESM TypeScript through ts-jest; `./x.js` imports resolve to `./x.ts` (see toolchain.md).
export default {
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js'],
  preset: 'ts-jest',
  resolver: 'ts-jest-resolver',
  testEnvironment: 'node',
  testMatch: ['**/__tests__/**/*.test.ts'],
  testPathIgnorePatterns: ['/dist/', '/node_modules/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', useESM: true, diagnostics: false }]
  },
  testTimeout: 120000,
  maxWorkers: 2,
  // test.concurrent rows (the fault matrix, the bad inputs) mostly wait on timeouts and backoff: 8 at once.
  maxConcurrency: 8
}
