import { Knex } from 'knex';

/**
 * Deletes the rows of `table` whose `column` is before the cutoff, 5000 at
 * a time (picked by `key`), so a large backlog never holds one long
 * transaction. Returns how many rows went. For the stores that own the
 * table; no one else calls it with their table's name.
 */
export async function deleteInBatches(
  knex: Knex,
  table: string,
  key: string,
  column: string,
  cutoff: Date,
): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await knex(table)
      .where(column, '<', cutoff)
      .limit(5000)
      .pluck(key);
    if (ids.length === 0) {
      return total;
    }
    await knex(table).whereIn(key, ids).delete();
    total += ids.length;
  }
}
