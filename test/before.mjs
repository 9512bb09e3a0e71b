// tap's `before` script (.taprc): runs test/setup.ts in a node of its own, started the way the
// test files are. tap would run the setup itself through ts-node and, with coverage off, still
// record and report its coverage; this file has no branch, so it has nothing to report.
import { spawnSync } from 'node:child_process'

// tap follows child processes to record their coverage: excluding every file keeps it from
// recording the setup's.
const env = { ...process.env, _TAPJS_PROCESSINFO_EXCLUDE_: '/./' }
const args = ['--conditions=@relay-im/source', '--import=./test/typescript-loader.mjs', 'test/setup.ts']
process.exitCode = spawnSync(process.execPath, args, { stdio: 'inherit', env }).status
