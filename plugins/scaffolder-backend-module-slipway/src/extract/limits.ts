/** Size limits of one template extraction. */
export interface ExtractLimits {
  /** Most entries (files, symlinks) the template subdirectory may hold. */
  maxFiles: number;
  /** Largest single file, in bytes. */
  maxFileBytes: number;
  /** Largest total of all files, in bytes. */
  maxTotalBytes: number;
}

/** Generous for a service template, small enough to stop a mistaken path. */
export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = {
  maxFiles: 2000,
  maxFileBytes: 10 * 1024 * 1024,
  maxTotalBytes: 100 * 1024 * 1024,
};
