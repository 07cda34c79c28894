// Compiles chain/contracts/GeohuntCollectible.sol offline with solc-js (pinned in package.json)
// and writes chain/artifacts/GeohuntCollectible.json, which the Python side deploys from.
//
//   node chain/compile.mjs           write the artifact
//   node chain/compile.mjs --stdout  print it instead (the drift test compares the two)
//   node chain/compile.mjs --contract FILE.sol NAME
//                                    print the artifact of another contract (the tests' mock
//                                    wallets), compiled with the same settings; never written
//
// The output is byte-for-byte reproducible: fixed settings, no metadata hash in the bytecode
// (it would change with any whitespace or path change), a fixed key order and formatting.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const CONTRACT = "GeohuntCollectible";
const chainDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = dirname(chainDir);
const nodeModules = join(repoRoot, "node_modules");
const sourcePath = join(chainDir, "contracts", `${CONTRACT}.sol`);
const artifactPath = join(chainDir, "artifacts", `${CONTRACT}.json`);
// A source unit name relative to chain/, so the output does not depend on the checkout's path.
const sourceUnit = `contracts/${CONTRACT}.sol`;

const baseSettings = {
  evmVersion: "cancun", // OpenZeppelin 5.7 needs mcopy; solc 0.8.37 would default to osaka
  metadata: { bytecodeHash: "none" },
  optimizer: { enabled: true, runs: 200 },
};

function settingsFor(unit, name) {
  const selection = [
    "abi",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.immutableReferences",
  ];
  return { ...baseSettings, outputSelection: { [unit]: { [name]: selection } } };
}

function findImports(path) {
  // Only packages installed by `npm ci`: nothing outside node_modules, nothing from the network.
  const full = resolve(nodeModules, path);
  if (!full.startsWith(nodeModules + sep)) {
    return { error: `import outside node_modules refused: ${path}` };
  }
  try {
    return { contents: readFileSync(full, "utf8") };
  } catch {
    return { error: `not found: ${path} (run \`npm ci\`)` };
  }
}

function compile(path, name, unit) {
  const source = readFileSync(path);
  const settings = settingsFor(unit, name);
  const input = {
    language: "Solidity",
    sources: { [unit]: { content: source.toString("utf8") } },
    settings,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const problems = output.errors ?? [];
  for (const problem of problems) {
    process.stderr.write(problem.formattedMessage ?? `${problem.severity}: ${problem.message}\n`);
  }
  if (problems.some((p) => p.severity === "error")) {
    process.stderr.write(`compilation of ${name} failed\n`);
    process.exit(1);
  }
  const contract = output.contracts[unit]?.[name];
  if (!contract) {
    process.stderr.write(`no contract ${name} in ${unit}\n`);
    process.exit(1);
  }
  const { outputSelection, ...recordedSettings } = settings;
  return {
    contractName: name,
    sourceSha256: createHash("sha256").update(source).digest("hex"),
    compiler: { version: solc.version(), settings: recordedSettings },
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`,
    // Where the constructor writes immutables (EIP-712's cached domain) into the deployed code:
    // [offset, length] in bytes, in order. The code on chain differs from deployedBytecode there.
    immutableRanges: Object.values(contract.evm.deployedBytecode.immutableReferences ?? {})
      .flat()
      .map((r) => [r.start, r.length])
      .sort((a, b) => a[0] - b[0]),
  };
}

const args = process.argv.slice(2);
const usage = `usage: node chain/compile.mjs [--stdout | --contract FILE.sol NAME]\n`;
if (args[0] === "--contract") {
  if (args.length !== 3) {
    process.stderr.write(usage);
    process.exit(2);
  }
  const path = resolve(args[1]);
  const unit = `contracts/${path.split(sep).pop()}`;
  process.stdout.write(`${JSON.stringify(compile(path, args[2], unit), null, 2)}\n`);
  process.exit(0);
}
if (args.some((a) => a !== "--stdout")) {
  process.stderr.write(usage);
  process.exit(2);
}
const text = `${JSON.stringify(compile(sourcePath, CONTRACT, sourceUnit), null, 2)}\n`;
if (args.includes("--stdout")) {
  process.stdout.write(text);
} else {
  mkdirSync(dirname(artifactPath), { recursive: true });
  writeFileSync(artifactPath, text);
  process.stderr.write(`wrote ${relative(repoRoot, artifactPath)}\n`);
}
