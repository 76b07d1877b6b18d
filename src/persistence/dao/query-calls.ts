import { CheapNotFoundError } from '../../errors.ts'
import type { Aspect } from '../../model/aspect.ts'
import type { AspectDef, AspectDefName } from '../../model/aspect-def.ts'
import type { EntityId } from '../../model/entity.ts'
import {
  aspectsJson as jsonQuery,
  type AspectJson,
  type AspectsJsonOptions,
} from '../query/aspects-json.ts'
import {
  evaluatePredicate as evaluate,
  explainFindEntities as explain,
  findEntities as find,
  indexProperty as index,
  type FindEntitiesOptions,
  type IndexPropertyOptions,
  type IndexPropertyResult,
} from '../query/find-entities.ts'
import type { Where } from '../query/predicate.ts'
import { defName } from './options.ts'
import type { DaoSession } from './session.ts'

// The query calls of PostgresDao (documented on CheapDao, in cheap-dao.ts).

export function findEntities<D extends AspectDef>(
  s: DaoSession,
  catalogId: string,
  aspectDef: D | AspectDefName<D>,
  where: Where<D> | undefined,
  options: FindEntitiesOptions<D> = {},
): Promise<EntityId[] | Aspect<D>[]> {
  return s.read(`querying '${defName(aspectDef)}' of catalog ${catalogId}`, catalogId, (target) =>
    find(target.db, s.versions, catalogId, aspectDef, where, options),
  )
}

export function explainFindEntities<D extends AspectDef>(
  s: DaoSession,
  catalogId: string,
  aspectDef: D | AspectDefName<D>,
  where: Where<D> | undefined,
  options: FindEntitiesOptions<D> & { readonly analyze?: boolean } = {},
): Promise<string> {
  return s.read('explaining a query', catalogId, (target) =>
    explain(target.db, s.versions, catalogId, aspectDef, where, options, options.analyze === true),
  )
}

export function indexProperty(
  s: DaoSession,
  aspectDefName: string,
  propertyName: string,
  options: IndexPropertyOptions = {},
): Promise<IndexPropertyResult> {
  return s.run(`indexing '${aspectDefName}'.'${propertyName}'`, () =>
    index(s.db, s.versions, aspectDefName, propertyName, options),
  )
}

export function aspectsJson<D extends AspectDef>(
  s: DaoSession,
  catalogId: string,
  aspectDef: D | AspectDefName<D>,
  options: AspectsJsonOptions = {},
): Promise<{ entityId: EntityId; aspect: AspectJson<D> }[]> {
  const query = jsonQuery(catalogId, aspectDef, options)
  const name = defName(aspectDef)
  return s.read(`reading '${name}' of catalog ${catalogId} as JSON`, catalogId, async (target) => {
    try {
      const { rows } = await query.execute(target.db)
      return rows.map((r) => ({ entityId: r.entity_id, aspect: r.aspect }))
    } catch (error) {
      if ((error as { code?: unknown } | null)?.code === 'P0002') {
        throw new CheapNotFoundError(
          `catalog ${catalogId} has no AspectDef '${name}' (or does not exist, or has expired)`,
        )
      }
      throw error
    }
  })
}

export function evaluatePredicate<D extends AspectDef>(
  s: DaoSession,
  aspects: readonly ({ readonly def: D } & Aspect<D>)[],
  where: Where<D>,
): Promise<boolean[]> {
  return s.run('evaluating a predicate', () => evaluate(s.db, aspects, where))
}
