import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import { OasisEventStore, PreparedEvent } from '../oasis/OasisEventStore';
import { recordTriggers } from '../triggers/triggerFacts';

/** Longest dedup key stored (the column's width). */
const MAX_KEY_LENGTH = 400;

/** Rows per statement, far below the bind-parameter limits of both drivers. */
const CHUNK = 500;

/** An event ready to insert, with the key that deduplicates it (if any). */
export interface KeyedEvent {
  row: PreparedEvent;
  /** Same key, same fact: stored once, whoever sees it first. */
  dedupKey?: string;
}

/**
 * A `case <column> when ? then ? … end` expression with its bindings, to
 * give many rows each their own value in one update statement.
 */
export function caseOf(
  knex: Knex,
  column: string,
  values: Array<[string, string]>,
  cast?: string,
): Knex.Raw {
  const then = cast ? `cast(? as ${cast})` : '?';
  return knex.raw(
    `case ?? ${values.map(() => `when ? then ${then}`).join(' ')} end`,
    [column, ...values.flat()],
  );
}

/** The key as stored (cut to the column's width). */
function keyOf(e: KeyedEvent): string | undefined {
  return e.dedupKey?.slice(0, MAX_KEY_LENGTH);
}

/**
 * Inserts GitHub events, from signed deliveries or Slipway's own poller,
 * like {@link insertKeyedEvents}, and records the auto-deploy triggers of
 * those stored in the same transaction: a trigger is recorded only with an
 * event that was stored, never without it, and survives a crash right after
 * the commit.
 */
export async function insertGithubEvents(
  trx: Knex.Transaction,
  store: OasisEventStore,
  events: KeyedEvent[],
): Promise<Array<OasisEvent | undefined>> {
  const stored = await insertKeyedEvents(trx, store, events);
  await recordTriggers(
    trx,
    stored.flatMap((event, i) =>
      event ? [{ event, dedupKey: keyOf(events[i]) }] : [],
    ),
  );
  return stored;
}

/**
 * Inserts events inside a caller's transaction; an event whose dedup key is
 * already taken (by an earlier delivery, the polling fallback or an earlier
 * event of this call) is left out. Returns, per input, the stored event or
 * undefined. The caller calls `store.afterCommit` after its commit.
 *
 * Keys are claimed before the events exist (event id 0) and pointed at
 * their events in one update, so two writers racing for the same key never
 * both store the event: the database's unique key decides.
 */
export async function insertKeyedEvents(
  trx: Knex.Transaction,
  store: OasisEventStore,
  events: KeyedEvent[],
): Promise<Array<OasisEvent | undefined>> {
  // The first event with a key in this call owns it.
  const owner = new Map<string, number>();
  events.forEach((e, i) => {
    const key = keyOf(e);
    if (key !== undefined && !owner.has(key)) owner.set(key, i);
  });

  const claimed = new Set<string>();
  // Sorted, so concurrent writers take key locks in one order (no deadlock).
  const keys = [...owner.keys()].sort();
  const at = new Date();
  for (let i = 0; i < keys.length; i += CHUNK) {
    const rows: Array<{ dedup_key: string }> = await trx('oasis_event_keys')
      .insert(
        keys
          .slice(i, i + CHUNK)
          .map(key => ({ dedup_key: key, event_id: 0, created_at: at })),
      )
      .onConflict('dedup_key')
      .ignore()
      .returning('dedup_key');
    rows.forEach(r => claimed.add(r.dedup_key));
  }

  const kept: number[] = [];
  events.forEach((e, i) => {
    const key = keyOf(e);
    if (key === undefined || (claimed.has(key) && owner.get(key) === i)) {
      kept.push(i);
    }
  });
  const stored = await store.insertPrepared(
    trx,
    kept.map(i => events[i].row),
  );

  const result: Array<OasisEvent | undefined> = events.map(() => undefined);
  const pointers: Array<[string, string]> = [];
  kept.forEach((index, j) => {
    result[index] = stored[j];
    const key = keyOf(events[index]);
    if (key !== undefined) pointers.push([key, stored[j].id]);
  });
  for (let i = 0; i < pointers.length; i += CHUNK) {
    const chunk = pointers.slice(i, i + CHUNK);
    await trx('oasis_event_keys')
      .whereIn(
        'dedup_key',
        chunk.map(([key]) => key),
      )
      .update({ event_id: caseOf(trx, 'dedup_key', chunk, 'bigint') });
  }
  return result;
}
