import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import type { PreparedEvent } from '../oasis/OasisEventStore';
import type { GithubEventStores } from './stores';

/** Longest dedup key stored (the column's width). */
const MAX_KEY_LENGTH = 400;

/** An event ready to insert, with the key that deduplicates it (if any). */
export interface KeyedEvent {
  row: PreparedEvent;
  /** Same key, same fact: stored once, whoever sees it first. */
  dedupKey?: string;
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
  stores: GithubEventStores,
  events: KeyedEvent[],
): Promise<Array<OasisEvent | undefined>> {
  const stored = await insertKeyedEvents(trx, stores, events);
  await stores.triggers.record(
    stored.flatMap((event, i) =>
      event ? [{ event, dedupKey: keyOf(events[i]) }] : [],
    ),
    { trx },
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
  stores: Pick<GithubEventStores, 'events' | 'keys'>,
  events: KeyedEvent[],
): Promise<Array<OasisEvent | undefined>> {
  // The first event with a key in this call owns it.
  const owner = new Map<string, number>();
  events.forEach((e, i) => {
    const key = keyOf(e);
    if (key !== undefined && !owner.has(key)) owner.set(key, i);
  });

  // Sorted, so concurrent writers take key locks in one order (no deadlock).
  const keys = [...owner.keys()].sort();
  const claimed = await stores.keys.claim(keys, new Date(), { trx });

  const kept: number[] = [];
  events.forEach((e, i) => {
    const key = keyOf(e);
    if (key === undefined || (claimed.has(key) && owner.get(key) === i)) {
      kept.push(i);
    }
  });
  const stored = await stores.events.insertPrepared(
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
  await stores.keys.pointAt(pointers, { trx });
  return result;
}
