import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { log } from '../lib/log.js'

/** A server build to measure: `root` is what BENCH_SERVER_ROOT gets (undefined: this checkout). */
export interface Build {
  /** 'before' or 'after'. */
  role: string
  /** Full commit id, or the working checkout's HEAD. */
  commit: string
  /** What the table shows: the short commit, "+ changes" for a dirty working checkout. */
  label: string
  root: string | undefined
  /** Set when the checkout or its build failed: every run of this build is reported failed with it. */
  error?: string
}

function git (root: string, args: string[]): string {
  const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`)
  return r.stdout
}

export function resolveCommit (root: string, rev: string): string {
  try {
    return git(root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).trim()
  } catch {
    throw new Error(`${rev} is not a commit here`)
  }
}

/** The working checkout itself: its HEAD, and whether it has uncommitted changes. */
export function worktreeBuild (root: string): Build {
  const commit = resolveCommit(root, 'HEAD')
  const dirty = git(root, ['status', '--porcelain', '--untracked-files=no']).trim() !== ''
  return { role: 'after', commit, label: `${commit.slice(0, 7)}${dirty ? ' + changes' : ''} (worktree)`, root: undefined }
}

function run (cwd: string, cmd: string, args: string[], what: string): void {
  log(`${what}: ${cmd} ${args.join(' ')} (in ${cwd})`)
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 2, 2], env: process.env })
  if (r.status !== 0) throw new Error(`${what} failed (${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal})`)
}

/**
 * node_modules for a checkout whose package-lock.json is this checkout's: a directory of
 * symlinks to this checkout's packages, except the workspace packages (@relay-im/*), which
 * point at the checkout's own packages/ (one symlink to the whole node_modules would resolve
 * @relay-im/client to this checkout's SDK, not the revision's).
 */
export function linkNodeModules (from: string, to: string): void {
  mkdirSync(to, { recursive: true })
  for (const name of readdirSync(from)) {
    if (name === '@relay-im') continue
    symlinkSync(join(from, name), join(to, name))
  }
  const checkout = join(to, '..')
  const scope = join(to, '@relay-im')
  mkdirSync(scope)
  for (const pkg of readdirSync(join(checkout, 'packages'), { withFileTypes: true })) {
    if (pkg.isDirectory() && existsSync(join(checkout, 'packages', pkg.name, 'package.json'))) {
      const name = (JSON.parse(readFileSync(join(checkout, 'packages', pkg.name, 'package.json'), 'utf8')) as { name?: string }).name
      if (name?.startsWith('@relay-im/') === true) symlinkSync(join('..', '..', 'packages', pkg.name), join(scope, name.slice('@relay-im/'.length)))
    }
  }
}

/**
 * A built checkout of `commit` under `cacheDir/<commit>`: the files by `git archive`, its
 * dependencies, Prisma client and production build (`npm run build`). Reused when a
 * previous call finished it (the `.bench-built` stamp); a half-made one is made again.
 */
export function prepareCheckout (root: string, cacheDir: string, role: string, rev: string): Build {
  let commit = rev
  try {
    commit = resolveCommit(root, rev)
  } catch (err) {
    return { role, commit: rev, label: rev, root: undefined, error: (err as Error).message }
  }
  const build: Build = { role, commit, label: commit.slice(0, 7), root: join(cacheDir, commit) }
  const dir = build.root!
  const stamp = join(dir, '.bench-built')
  if (existsSync(stamp)) {
    log(`${role} ${build.label}: built checkout in ${dir}`)
    return build
  }
  try {
    rmSync(dir, { recursive: true, force: true })
    const partial = `${dir}.partial`
    rmSync(partial, { recursive: true, force: true })
    mkdirSync(partial, { recursive: true })
    log(`${role} ${build.label}: git archive into ${dir}`)
    const tar = spawnSync('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', root, commit, partial], { stdio: ['ignore', 2, 2] })
    if (tar.status !== 0) throw new Error(`git archive ${commit} failed`)
    renameSync(partial, dir)
    const sameLock = existsSync(join(dir, 'package-lock.json')) &&
      readFileSync(join(dir, 'package-lock.json'), 'utf8') === readFileSync(join(root, 'package-lock.json'), 'utf8')
    if (sameLock) {
      log(`${role} ${build.label}: package-lock.json is this checkout's, linking its node_modules`)
      linkNodeModules(join(root, 'node_modules'), join(dir, 'node_modules'))
    } else {
      run(dir, 'npm', ['ci', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], `${role} ${build.label}: dependencies`)
    }
    if (existsSync(join(dir, 'scripts', 'prisma.mjs'))) run(dir, process.execPath, ['scripts/prisma.mjs', 'generate'], `${role} ${build.label}: Prisma client`)
    run(dir, 'npm', ['run', 'build'], `${role} ${build.label}: production build`)
    if (!existsSync(join(dir, 'dist', 'src', 'server.js'))) throw new Error('the build left no dist/src/server.js')
    writeFileSync(stamp, `${commit}\n${new Date().toISOString()}\n`)
  } catch (err) {
    build.error = (err as Error).message
    log(`${role} ${build.label}: ${build.error}`)
  }
  return build
}

/** The working checkout's own build, made fresh before the runs (the harness would otherwise build in the first run). */
export function buildWorktree (root: string, build: Build): Build {
  try {
    run(root, process.execPath, ['scripts/build.mjs'], `${build.role} ${build.label}: production build (only stale steps)`)
  } catch (err) {
    build.error = (err as Error).message
  }
  return build
}
