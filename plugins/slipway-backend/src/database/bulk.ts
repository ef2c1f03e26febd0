import { Knex } from 'knex';

/**
 * Inserts rows in chunks of `chunk`, leaving out every row whose `key`
 * column is already taken (by an earlier transaction or an earlier row);
 * returns the keys this call inserted. The unique key decides between
 * racing writers: the second waits for the first to end, then finds its
 * key taken.
 */
export async function insertNew(
  trx: Knex.Transaction,
  table: string,
  key: string,
  rows: Array<Record<string, unknown>>,
  chunk: number,
): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let i = 0; i < rows.length; i += chunk) {
    const returned: Array<Record<string, string>> = await trx(table)
      .insert(rows.slice(i, i + chunk))
      .onConflict(key)
      .ignore()
      .returning(key);
    returned.forEach(r => inserted.add(r[key]));
  }
  return inserted;
}

/**
 * Gives each row (by its `key` column) its own value of `column`, in one
 * update statement per chunk of `chunk` pairs (`[key, value]`); `cast`
 * types the values (e.g. `bigint`).
 */
export async function setEach(
  trx: Knex.Transaction,
  table: string,
  key: string,
  column: string,
  pairs: Array<[string, string]>,
  chunk: number,
  cast?: string,
): Promise<void> {
  for (let i = 0; i < pairs.length; i += chunk) {
    const part = pairs.slice(i, i + chunk);
    await trx(table)
      .whereIn(
        key,
        part.map(([k]) => k),
      )
      .update({ [column]: caseOf(trx, key, part, cast) });
  }
}

/**
 * A `case <column> when ? then ? … end` expression with its bindings, to
 * give many rows each their own value in one update statement.
 */
function caseOf(
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
