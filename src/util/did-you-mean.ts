/**
 * "Did you mean …?" for names a person typed: options, commands, folders, YAML keys.
 *
 * @module
 */
import { DamerauLevenshteinDistance } from 'natural/lib/natural/distance/levenshtein_distance';

/**
 * The candidate closest to `name`, if it is within `maxEdits` edits (a swap of two letters
 * counts as one, as in `--dri` for `--dir`) and the name is not mostly edits: "a" is not a
 * typo of "id". Case is ignored. Ties go to the first candidate.
 */
export function nearest(name: string, candidates: Iterable<string>, maxEdits = 2): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const d = DamerauLevenshteinDistance(wanted, candidate.toLowerCase(), { restricted: true });
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.min(maxEdits, Math.max(1, Math.floor(name.length / 2)));
  return bestDistance <= limit ? best : undefined;
}

/** `" (did you mean 'x'?)"`, or `""` when nothing is close. */
export function didYouMean(name: string, candidates: Iterable<string>, quote = "'"): string {
  const guess = nearest(name, candidates);
  return guess === undefined ? '' : ` (did you mean ${quote}${guess}${quote}?)`;
}
