/**
 * Which local files the next scrub step re-verifies: the next `batch` names after `cursor` in sorted
 * order, wrapping around to the start once the end is reached, so every file is visited once per
 * pass however the set changes between steps.
 */
export function nextScrubBatch(
  sortedNames: readonly string[],
  cursor: string | undefined,
  batch: number,
): { names: string[]; cursor: string | undefined } {
  let start = 0;
  if (cursor !== undefined) {
    start = sortedNames.findIndex((n) => n > cursor);
    if (start < 0) start = 0; // past the end: begin the next pass
  }
  const names = sortedNames.slice(start, start + batch);
  return { names, cursor: names.length === 0 ? undefined : names[names.length - 1] };
}
