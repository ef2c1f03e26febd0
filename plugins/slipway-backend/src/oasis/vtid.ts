import { Config } from '@backstage/config';

/** Default `slipway.vtid.pattern`, e.g. `DEV-CICDL-0031`. */
export const DEFAULT_VTID_PATTERN = '\\b[A-Z]{2,10}-[A-Z]{2,10}-\\d{4}\\b';

/** A VTID and its layer; `UNSET` for both when nothing matched. */
export interface Vtid {
  vtid: string;
  layer: string;
}

/**
 * Finds the VTID of an event: the first match of the configured pattern in
 * the candidates, which the caller orders (PR title, branch, then commit
 * messages). The layer is the pattern's `layer` named group when it has
 * one, else the middle segment of a three-part id.
 */
export class VtidExtractor {
  readonly #pattern: RegExp;

  static fromConfig(config: Config): VtidExtractor {
    return new VtidExtractor(
      config.getOptionalString('slipway.vtid.pattern') ?? DEFAULT_VTID_PATTERN,
    );
  }

  constructor(pattern: string = DEFAULT_VTID_PATTERN) {
    try {
      this.#pattern = new RegExp(pattern);
    } catch (error) {
      throw new Error(
        `slipway.vtid.pattern '${pattern}' is not a valid regular expression: ${error}`,
      );
    }
  }

  extract(candidates: Array<string | null | undefined>): Vtid {
    for (const text of candidates) {
      if (!text) {
        continue;
      }
      const match = this.#pattern.exec(text);
      if (match) {
        const vtid = match[0].slice(0, 64);
        const parts = vtid.split('-');
        const layer =
          match.groups?.layer ?? (parts.length === 3 ? parts[1] : 'UNSET');
        return { vtid, layer: layer.slice(0, 32) || 'UNSET' };
      }
    }
    return { vtid: 'UNSET', layer: 'UNSET' };
  }
}
