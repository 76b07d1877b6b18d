import type { SizeResult } from './run-bench.ts'
import type { ShapeResult } from './shape-bench.ts'
import { SHAPE_SPECS } from './shapes.ts'
import type { SmallCatalogResult } from './small-catalogs.ts'

export interface RunInfo {
  readonly date: string
  readonly backend: 'pg' | 'pglite'
  readonly serverVersion: string
  /** The runtime that ran it, e.g. `Node 20.20.2`, `Bun 1.4.5`, `Deno 2.9.6`. */
  readonly runtime: string
  readonly command: string
}

const fmt = (n: number | null) => (n === null ? '–' : n.toLocaleString('en-US'))
const pct = (n: number | null) => (n === null ? '–' : `${Math.round(n * 1000) / 10}%`)

/** The Markdown summary: one row per size, figures and their ratios to the same-run baseline. */
export function markdownReport(info: RunInfo, results: readonly SizeResult[]): string {
  const lines = [
    `# cheap-db-postgres benchmark — ${info.backend} (${info.serverVersion}), ${info.date}`,
    '',
    `Command: \`${info.command}\` on ${info.runtime}. Rows/s are stored rows per second; ratios are against PostgreSQL's own ceiling measured in the same run on the same backend.`,
    '',
    '| entities | stored rows | values | save rows/s | COPY rows/s | unnest rows/s | save/COPY | save/unnest | load rows/s | SELECT rows/s | load/SELECT | load peak RSS | re-save 0.1% | re-save/full | loadAspects p50/p95/p99 ms | upsertAspects p50/p95/p99 ms |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ]
  for (const r of results) {
    lines.push(
      `| ${fmt(r.entities)} | ${fmt(r.storedRows)} | ${fmt(r.values)} | ${fmt(r.saveRowsPerSec)} | ${fmt(r.baseline.copyRowsPerSec)} | ${fmt(r.baseline.unnestRowsPerSec)} | ${pct(r.ratios.saveVsCopy)} | ${pct(r.ratios.saveVsUnnest)} | ${fmt(r.loadRowsPerSec)} | ${fmt(r.baseline.selectRowsPerSec)} | ${pct(r.ratios.loadVsSelect)} | ${fmt(r.loadPeakRssMb)} MB | ${fmt(r.incremental.ms)} ms (${r.incremental.changedAspects} aspects, ${fmt(r.incremental.rowsWritten)} rows) | ${pct(r.incremental.shareOfFullSave)} | ${r.loadAspectLatencyMs.p50} / ${r.loadAspectLatencyMs.p95} / ${r.loadAspectLatencyMs.p99} | ${r.upsertAspectLatencyMs.p50} / ${r.upsertAspectLatencyMs.p95} / ${r.upsertAspectLatencyMs.p99} |`,
    )
  }
  return `${lines.join('\n')}\n`
}

/** The many-small-catalogs workload (issue #16), one row per backend and path. */
export function smallReport(results: readonly SmallCatalogResult[]): string {
  if (results.length === 0) return ''
  const first = results[0] as SmallCatalogResult
  const lines = [
    '',
    `## Many small catalogs: ${first.catalogs} catalogs × ${first.entities} entities (${first.rowsPerCatalog} rows each), audit on`,
    '',
    'Saved one after another as new catalogs, then loaded back; then 8 clients at once on distinct catalogs. `auto` takes the small-catalog path (one write statement, one load statement), `never` the bulk path (a statement per table), in the same run.',
    '',
    '| backend | path | save p50 / p95 ms | load p50 / p95 ms | 8 clients saves/s | 8 clients loads/s | new dao + first load p50 / p95 ms |',
    '|---|---|---:|---:|---:|---:|---:|',
  ]
  for (const r of results) {
    lines.push(
      `| ${r.backend} | ${r.path} | ${r.saveMs.p50} / ${r.saveMs.p95} | ${r.loadMs.p50} / ${r.loadMs.p95} | ${fmt(r.concurrent.savesPerSec)} | ${fmt(r.concurrent.loadsPerSec)} | ${r.newDaoFirstCallMs.p50} / ${r.newDaoFirstCallMs.p95} |`,
    )
  }
  return `${lines.join('\n')}\n`
}

const times = (n: number) => `${n}×`
const ms = (n: number) => (n < 10 ? n.toFixed(1) : fmt(Math.round(n)))
const bytes = (n: number | null) => (n === null ? '–' : `${n} B`)

/**
 * Issue #20's shapes: one row per shape and N, the library's save and load against the same
 * run's COPY / unnest / SELECT of the same row count, the JSONB document store and the
 * dedicated tables (`mapAspectDef`) beside it.
 */
export function shapesReport(results: readonly ShapeResult[]): string {
  if (results.length === 0) return ''
  const lines = [
    '',
    '## Shapes',
    '',
    "Each shape and N in its own schema (on PGlite: of one database), its AspectDefs stored beforehand (the save measures the catalog's data). Values are stored property values (a multivalued list's elements one each). save/COPY and load/SELECT compare rows per second with PostgreSQL's ceiling for the same row count in the same run (save/unnest on PGlite, which has no COPY; the baseline's rows are narrow int8 rows whatever the shape); the load runs in the benchmark's process with a new DAO. JSONB: one `jsonb` row per aspect with the same keys (aspects only, no hierarchies), written by COPY on a server and `unnest` on PGlite; ×JSONB is our save time over its. Dedicated: the same catalog after `mapAspectDef` of each of its AspectDefs; its save and load time over the generic tables'. B/value: growth of the schema's tables (`pg_total_relation_size`, with TOAST and indexes) over values.",
    '',
    '| shape | entities | stored rows | values | save ms | save values/s | save/COPY | save/unnest | load ms | load values/s | load/SELECT | save ×JSONB | JSONB save / load ms | dedicated save / load ms | dedicated save / generic | dedicated load / generic | B/value generic | B/value JSONB | B/value dedicated |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const r of results) {
    lines.push(
      `| ${r.shape} | ${fmt(r.entities)} | ${fmt(r.storedRows)} | ${fmt(r.values)} | ${ms(r.saveMs)} | ${fmt(r.saveValuesPerSec)} | ${pct(r.ratios.saveVsCopy)} | ${pct(r.ratios.saveVsUnnest)} | ${ms(r.loadMs)} | ${fmt(r.loadValuesPerSec)} | ${pct(r.ratios.loadVsSelect)} | ${times(r.jsonb.saveFactor)} | ${ms(r.jsonb.saveMs)} / ${ms(r.jsonb.loadMs)} | ${ms(r.dedicated.saveMs)} / ${ms(r.dedicated.loadMs)} | ${times(r.dedicated.saveVsGeneric)} | ${times(r.dedicated.loadVsGeneric)} | ${bytes(r.bytesPerValue)} | ${bytes(r.jsonb.bytesPerValue)} | ${bytes(r.dedicated.bytesPerValue)} |`,
    )
  }
  lines.push('')
  const seen = new Set<string>()
  for (const r of results) {
    if (seen.has(r.shape)) continue
    seen.add(r.shape)
    lines.push(`- \`${r.shape}\`: ${SHAPE_SPECS[r.shape].description}.`)
  }
  const audit = results.filter((r) => r.audit)
  if (audit.length > 0) {
    lines.push(
      '',
      "Issue #20's targets (audit on, N = 100,000, server): save ≥ 60% of COPY, load ≥ 60% of SELECT, save within 8× of the JSONB store's:",
      '',
    )
    for (const r of audit) {
      lines.push(
        `- N = ${fmt(r.entities)}: save ${pct(r.ratios.saveVsCopy)} of COPY (${pct(r.ratios.saveVsUnnest)} of unnest), load ${pct(r.ratios.loadVsSelect)} of SELECT, save ${times(r.jsonb.saveFactor)} the JSONB store's.`,
      )
    }
  }
  return `${lines.join('\n')}\n`
}

/** An SVG line chart of rows/s against N (log scale) for save, load and the baselines. */
export function svgChart(info: RunInfo, results: readonly SizeResult[]): string {
  const width = 720
  const height = 420
  const left = 80
  const right = 170
  const top = 40
  const bottom = 50
  const series = [
    {
      name: 'baseline COPY',
      color: '#999999',
      dash: '6 4',
      values: results.map((r) => r.baseline.copyRowsPerSec),
    },
    {
      name: 'baseline unnest',
      color: '#bbbbbb',
      dash: '2 3',
      values: results.map((r) => r.baseline.unnestRowsPerSec),
    },
    {
      name: 'baseline SELECT',
      color: '#7fb3d5',
      dash: '6 4',
      values: results.map((r) => r.baseline.selectRowsPerSec),
    },
    { name: 'save', color: '#c0392b', dash: '', values: results.map((r) => r.saveRowsPerSec) },
    { name: 'load', color: '#1f618d', dash: '', values: results.map((r) => r.loadRowsPerSec) },
  ].filter((s) => s.values.some((v) => v !== null))
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null))
  const maxY = Math.max(1, ...all) * 1.1 // bounded-spread: a few series × benchmark sizes
  const xs = results.map((r) => Math.log10(Math.max(1, r.entities)))
  const minX = Math.min(...xs) // bounded-spread: one per benchmark size
  const maxX = Math.max(...xs, minX + 1) // bounded-spread: one per benchmark size
  const px = (x: number) => left + ((x - minX) / (maxX - minX)) * (width - left - right)
  const py = (y: number) => height - bottom - (y / maxY) * (height - top - bottom)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14" font-weight="bold">Rows per second against N entities — ${info.backend} (${escapeXml(info.serverVersion)}), ${info.date}</text>`,
  ]
  for (let i = 0; i <= 5; i++) {
    const y = (maxY / 5) * i
    out.push(
      `<line x1="${left}" x2="${width - right}" y1="${py(y)}" y2="${py(y)}" stroke="#eeeeee"/>`,
    )
    out.push(
      `<text x="${left - 8}" y="${py(y) + 4}" text-anchor="end">${Math.round(y / 1000)}k</text>`,
    )
  }
  results.forEach((r, i) => {
    out.push(
      `<text x="${px(xs[i] ?? 0)}" y="${height - bottom + 18}" text-anchor="middle">${r.entities.toLocaleString('en-US')}</text>`,
    )
  })
  out.push(
    `<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle">entities (log scale)</text>`,
  )
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="#333"/>`)
  out.push(
    `<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="#333"/>`,
  )
  series.forEach((s, k) => {
    const points = s.values
      .map((v, i) => (v === null ? null : `${px(xs[i] ?? 0).toFixed(1)},${py(v).toFixed(1)}`))
      .filter((p): p is string => p !== null)
    out.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="2.5" ${s.dash === '' ? '' : `stroke-dasharray="${s.dash}"`} points="${points.join(' ')}"/>`,
    )
    for (const p of points) {
      const [x, y] = p.split(',')
      out.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${s.color}"/>`)
    }
    const ly = top + 10 + k * 20
    out.push(
      `<line x1="${width - right + 15}" x2="${width - right + 45}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2.5" ${s.dash === '' ? '' : `stroke-dasharray="${s.dash}"`}/>`,
    )
    out.push(`<text x="${width - right + 52}" y="${ly + 4}">${s.name}</text>`)
  })
  out.push('</svg>')
  return `${out.join('\n')}\n`
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c,
  )
}
