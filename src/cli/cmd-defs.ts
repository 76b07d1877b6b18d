import { JsonEmitter } from '../json/json-emitter.ts'
import { writePropertyValue } from '../json/json-value-writer.ts'
import type { AspectDef } from '../model/aspect-def.ts'
import type { PropertyTypeCode, PropertyValue } from '../model/property-type.ts'
import { PostgresDao } from '../persistence/dao/postgres-dao.ts'
import type { AspectDefInfo } from '../persistence/defs/aspect-defs.ts'
import { booleanOption, integerOption } from './args.ts'
import type { CommandSpec } from './command.ts'
import { YES_OPTION, confirm, requireConsent } from './confirm.ts'
import type { CommandContext } from './context.ts'
import { openDatabase } from './database.ts'
import { CliError, EXIT, UsageError } from './exit-codes.ts'
import { table } from './table.ts'

const ACTIONS = ['list', 'show', 'delete'] as const
type Action = (typeof ACTIONS)[number]

export const defsCommand: CommandSpec = {
  name: 'defs',
  summary: 'list, show or delete the stored AspectDefs',
  synopsis: 'list|show|delete [<name-or-id>]',
  usage: [
    'cheap defs list',
    'cheap defs show <name-or-id> [--version N]',
    'cheap defs delete <name-or-id> [--yes]',
  ],
  description: [
    'AspectDefs are global in a store; each distinct shape of a def is a version, and every',
    'catalog is pinned to the version it saved (see docs/ASPECT-DEFS.md).',
    '',
    'list    one line per def: name, id, its versions, how many catalogs use it, and the',
    '        dedicated table holding its values, if any.',
    'show    one def: its versions with their hashes and catalog counts, and the properties',
    '        of the latest version (or of --version N).',
    'delete  deletes a def and all its versions; refused (exit 4) while a catalog uses it,',
    '        naming those catalogs. A def that is not stored is an error (exit 6). Asks',
    '        for confirmation on a terminal; needs --yes otherwise.',
  ],
  options: {
    version: { type: 'string', valueName: 'N', description: 'show: this stored version' },
    yes: YES_OPTION,
  },
  positionals: { min: 1, max: 2 },
  examples: [
    'cheap defs list',
    'cheap defs show com.example.person',
    'cheap defs show com.example.person --version 1 --json',
    'cheap defs delete com.example.person --yes',
  ],
  async run(ctx, { positionals, values }) {
    const action = positionals[0] ?? ''
    if (!isAction(action)) {
      throw new UsageError(
        `unknown defs action '${action}': expected list, show or delete`,
        'see `cheap defs --help`',
      )
    }
    const nameOrId = positionals[1]
    if (action === 'list' && nameOrId !== undefined) {
      throw new UsageError('`cheap defs list` takes no name', 'use `cheap defs show <name>`')
    }
    if (action !== 'list' && nameOrId === undefined) {
      throw new UsageError(`\`cheap defs ${action}\` needs the name or id of a def`)
    }
    if (values['version'] !== undefined && action !== 'show') {
      throw new UsageError('--version belongs to `cheap defs show`')
    }
    if (booleanOption(values, 'yes') && action !== 'delete') {
      throw new UsageError('--yes belongs to `cheap defs delete`')
    }
    if (action === 'delete') requireConsent(ctx, values, 'cheap defs delete')
    const db = await openDatabase(ctx, 'embedded')
    try {
      const dao = new PostgresDao(db.adapter)
      if (action === 'list') {
        ctx.progress.phase('listing AspectDefs')
        listDefs(ctx, await dao.listAspectDefs(), db.adapter.target)
        return EXIT.OK
      }
      const wanted = nameOrId ?? ''
      if (action === 'show') {
        const version = integerOption(values, 'version', 0, { min: 1, max: 2 ** 31 - 1 })
        const info = (await dao.listAspectDefs()).find(
          (def) => def.name === wanted || def.globalId === wanted.toLowerCase(),
        )
        const shown = info?.versions.find((v) => version === 0 || v.version === version)
        if (info === undefined || shown === undefined) {
          throw notStored(wanted, version, db.adapter.target)
        }
        showDef(ctx, info, version === 0 ? (info.versions.at(-1) ?? shown) : shown)
        return EXIT.OK
      }
      const info = (await dao.listAspectDefs()).find(
        (def) => def.name === wanted || def.globalId === wanted.toLowerCase(),
      )
      if (info === undefined) throw notStored(wanted, 0, db.adapter.target)
      // A def in use is refused by deleteAspectDef below: ask only about what can be deleted.
      if (info.catalogs === 0) {
        await confirm(
          ctx,
          values,
          `delete AspectDef '${info.name}' (${info.versions.length} version(s)) of ${db.adapter.target}?`,
          'nothing was deleted',
        )
      }
      ctx.progress.phase(`deleting AspectDef ${wanted}`)
      const deleted = await dao.deleteAspectDef(wanted)
      if (!deleted) throw notStored(wanted, 0, db.adapter.target)
      if (ctx.global.json) ctx.json({ aspectDef: wanted, deleted: true })
      else ctx.out(`deleted AspectDef ${wanted}`)
      return EXIT.OK
    } finally {
      await db.close()
    }
  },
}

function isAction(text: string): text is Action {
  return (ACTIONS as readonly string[]).includes(text)
}

function notStored(nameOrId: string, version: number, target: string): CliError {
  const what =
    version === 0 ? `AspectDef '${nameOrId}'` : `version ${version} of AspectDef '${nameOrId}'`
  return new CliError(EXIT.NOT_FOUND, `${what} is not stored in ${target}`, 'see `cheap defs list`')
}

function listDefs(ctx: CommandContext, defs: readonly AspectDefInfo[], target: string): void {
  if (ctx.global.json) {
    ctx.json(defs.map((def) => defJson(def)))
    return
  }
  if (defs.length === 0) {
    ctx.info(`no AspectDefs in ${target}: saving a catalog stores its defs`)
    return
  }
  const rows = defs.map((def) => [
    def.name,
    def.globalId,
    def.versions.map((v) => v.version).join(','),
    String(def.catalogs),
    def.mapping?.table ?? '-',
  ])
  for (const line of table(['NAME', 'ID', 'VERSIONS', 'CATALOGS', 'TABLE'], rows)) ctx.out(line)
}

function showDef(
  ctx: CommandContext,
  info: AspectDefInfo,
  shown: AspectDefInfo['versions'][number],
): void {
  if (ctx.global.json) {
    ctx.json({ ...defJson(info), shown: shown.version, aspectDef: aspectDefJson(shown.aspectDef) })
    return
  }
  const def = shown.aspectDef
  ctx.out(`aspect def  ${info.name}`)
  ctx.out(`id          ${info.globalId}`)
  ctx.out(`catalogs    ${info.catalogs}`)
  ctx.out(
    `table       ${info.mapping === null ? '-' : `${info.mapping.table} (version ${info.mapping.version})`}`,
  )
  ctx.out('')
  ctx.out(`versions (${info.versions.length})`)
  const versionRows = info.versions.map((v) => [
    String(v.version),
    String(v.hash),
    String(v.aspectDef.size),
    String(v.catalogs),
  ])
  for (const line of table(['VERSION', 'HASH', 'PROPERTIES', 'CATALOGS'], versionRows)) {
    ctx.out(`  ${line}`)
  }
  ctx.out('')
  ctx.out(`version ${shown.version}: ${flags(def).join(', ') || 'immutable'}`)
  const propertyRows = def
    .propertyDefs()
    .map((p) => [
      p.name,
      p.type + (p.isMultivalued ? '[]' : ''),
      p.isNullable ? 'yes' : 'no',
      p.hasDefaultValue ? displayValue(p.type, p.defaultValue ?? null) : '-',
    ])
  for (const line of table(['PROPERTY', 'TYPE', 'NULLABLE', 'DEFAULT'], propertyRows)) {
    ctx.out(`  ${line}`)
  }
}

function flags(def: AspectDef): string[] {
  const out: string[] = []
  if (def.canAddProperties) out.push('canAddProperties')
  if (def.canRemoveProperties) out.push('canRemoveProperties')
  if (!def.isReadable) out.push('not readable')
  if (!def.isWritable) out.push('not writable')
  return out
}

function defJson(def: AspectDefInfo) {
  return {
    name: def.name,
    globalId: def.globalId,
    catalogs: def.catalogs,
    table: def.mapping?.table ?? null,
    tableVersion: def.mapping?.version ?? null,
    versions: def.versions.map((v) => ({
      version: v.version,
      hash: String(v.hash),
      properties: v.aspectDef.size,
      catalogs: v.catalogs,
    })),
  }
}

function aspectDefJson(def: AspectDef) {
  return {
    name: def.name,
    globalId: def.globalId,
    isReadable: def.isReadable,
    isWritable: def.isWritable,
    canAddProperties: def.canAddProperties,
    canRemoveProperties: def.canRemoveProperties,
    hash: String(def.hash()),
    properties: def.propertyDefs().map((p) => ({
      name: p.name,
      type: p.type,
      isMultivalued: p.isMultivalued,
      isNullable: p.isNullable,
      isReadable: p.isReadable,
      isWritable: p.isWritable,
      hasDefaultValue: p.hasDefaultValue,
      defaultValue: p.hasDefaultValue ? displayValue(p.type, p.defaultValue ?? null) : null,
    })),
  }
}

/** A default value in its cheap-json text (what `cheap export` writes for it). */
function displayValue(type: PropertyTypeCode, value: PropertyValue): string {
  let text = ''
  const out = new JsonEmitter((chunk) => (text += chunk))
  writePropertyValue(out, type, value)
  out.flush()
  return text
}
