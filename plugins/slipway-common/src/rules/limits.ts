/**
 * Page sizes of every list endpoint (`limit` query parameter): the default
 * and the largest accepted.
 *
 * @public
 */
export const LIST_LIMITS = Object.freeze({ default: 50, max: 500 });
