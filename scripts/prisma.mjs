#!/usr/bin/env node
// Runs the Prisma CLI offline. `prisma generate` and `prisma studio` only need the schema
// engine path to exist; the real engine is a download this project does not depend on
// (migrations are applied by src/db/migrator.ts), so we point it at this file.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const env = { ...process.env }
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url)
env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1'
env.CHECKPOINT_DISABLE ??= '1'

const cli = require.resolve('prisma/build/index.js')
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], { stdio: 'inherit', env })
process.exit(result.status ?? 1)
