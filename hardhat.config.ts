// Hardhat 3 configuration for TwinLedger's contracts: offline wasm solc, Solidity tests with fuzz
// and invariant runs, and node:test TypeScript suites under test/contracts.
import { createRequire } from 'node:module';
import { defineConfig } from 'hardhat/config';
import hardhatEthers from '@nomicfoundation/hardhat-ethers';
import hardhatNetworkHelpers from '@nomicfoundation/hardhat-network-helpers';
import hardhatNodeTestRunner from '@nomicfoundation/hardhat-node-test-runner';

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatEthers, hardhatNetworkHelpers, hardhatNodeTestRunner],
  solidity: {
    profiles: {
      default: {
        version: '0.8.37',
        path: require.resolve('solc/soljson.js'),
        settings: { evmVersion: 'prague', optimizer: { enabled: true, runs: 10_000 } },
      },
    },
  },
  test: {
    solidity: {
      fuzz: { runs: 256 },
      invariant: { runs: 48, depth: 32, failOnRevert: false },
    },
  },
  coverage: { skipFiles: ['contracts/test/**'] },
  paths: {
    sources: 'contracts',
    tests: { solidity: 'contracts/test', nodejs: 'test/contracts' },
  },
});
