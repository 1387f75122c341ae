/**
 * Generated repositories for the benchmark: the sample app plus source-like text (code-shaped lines,
 * identifiers repeated within a file as real code repeats them, ~4.5:1 under gzip -6) and incompressible
 * blobs (images, fonts, archives). Seeded, so every run packs the same bytes.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { makeRepo, type Repo } from './git-repo.js'
import { projectRoot } from './run-action.js'

export interface TreeSpec {
  /** MiB of source-like text, in files of 2–62 KB under src/. */
  textMb: number
  /** MiB of incompressible bytes, in 1 MiB files under assets/. */
  blobMb: number
  /** Commits of history: each later one adds a few lines to a tenth of the text files. */
  commits?: number
  /** git's zlib level for the objects `git add` writes (default 1, git's own default; 0 makes a big tree faster to set up). */
  looseCompression?: number
  /** Packed at the end, as a clone's objects are (a push then reuses them, as it would from a checkout). */
  packed?: boolean
  /** Keep the sample app's release phase (default true); without it, a big slug is copied once fewer. */
  releasePhase?: boolean
}

export interface BenchTree {
  repo: Repo
  sha: string
}

const WORDS = (
  'const let return function if else for await async import export from new this null undefined true false value result error ' +
  'request response config options user id name data items index count length map filter reduce push then catch throw Promise string ' +
  'number boolean interface type class extends private readonly public static get set key path file url status message log info debug ' +
  'app build release deploy order invoice customer account session token cache queue worker event handler router service model view ' +
  'controller schema field record table query page limit offset total'
).split(' ')

/** A small seeded generator (LCG): the same tree on every run and machine. */
function generator(seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff
    return state / 0x80000000
  }
}

function sourceFile(random: () => number, bytes: number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]
  const word = () => {
    const parts = 1 + Math.floor(random() * 3)
    let name = pick(WORDS)
    for (let i = 1; i < parts; i++) {
      const next = pick(WORDS)
      name += next[0].toUpperCase() + next.slice(1)
    }
    return name
  }
  const local = Array.from({ length: 40 }, word)
  const id = () => (random() < 0.8 ? pick(local) : word())
  const lines: string[] = []
  let size = 0
  let depth = 0
  while (size < bytes) {
    const r = random()
    const pad = '  '.repeat(depth)
    let line = ''
    if (r < 0.08) line = ''
    else if (r < 0.16) line = `${pad}// ${Array.from({ length: 4 + Math.floor(random() * 8) }, id).join(' ')}`
    else if (r < 0.45) line = `${pad}const ${id()} = ${id()}(${id()}, ${Math.floor(random() * 100)})`
    else if (r < 0.6) line = `${pad}if (${id()}.${id()} === '${id()}') return ${id()}`
    else if (r < 0.75) line = `${pad}${id()}.${id()}(${id()}, { ${id()}: ${id()}, ${id()}: ${Math.floor(random() * 100)} })`
    else if (r < 0.87 && depth < 4) {
      line = `${pad}export function ${id()}(${id()}: ${id()}): ${id()} {`
      depth++
    } else if (depth > 0) line = `${'  '.repeat(--depth)}}`
    lines.push(line)
    size += line.length + 1
  }
  return `${lines.join('\n')}\n`
}

/** A repository with the sample app at its root and the generated files around it. */
export function makeBenchTree(spec: TreeSpec): BenchTree {
  const repo = makeRepo(path.join(projectRoot, 'examples', 'hello-app'))
  const random = generator(20_240_601)
  if (spec.releasePhase === false) repo.write('Procfile', 'web: node server.js\n')
  execFileSync('git', ['config', 'core.looseCompression', String(spec.looseCompression ?? 1)], { cwd: repo.dir })
  const blobs = path.join(repo.dir, 'assets')
  fs.mkdirSync(blobs)
  for (let i = 0; i < spec.blobMb; i++) fs.writeFileSync(path.join(blobs, `asset-${String(i).padStart(4, '0')}.bin`), randomBytes(1024 * 1024))
  const files: { name: string; bytes: number }[] = []
  for (let total = 0; total < spec.textMb * 1024 * 1024;) {
    const bytes = 2000 + Math.floor(random() * 60_000)
    files.push({ name: `src/module-${Math.floor(files.length / 100)}/file-${files.length}.ts`, bytes })
    total += bytes
  }
  const contents = files.map((file) => sourceFile(random, file.bytes))
  contents.forEach((content, index) => repo.write(files[index].name, content))
  let sha = repo.commit('the tree')
  for (let commit = 1; commit < (spec.commits ?? 1); commit++) {
    contents.forEach((content, index) => {
      if (index % 10 !== commit % 10) return
      contents[index] = content + sourceFile(random, 400)
      repo.write(files[index].name, contents[index])
    })
    sha = repo.commit(`revision ${commit}`)
  }
  if (spec.packed) execFileSync('git', ['repack', '-a', '-d', '-q'], { cwd: repo.dir })
  return { repo, sha }
}
