// Vendor label events applied to an eval item (SPEC §6). Pure: no I/O; the Worker applies the
// same function to stored items (webhook deliveries), to items arriving later (parked labels)
// and, through applyConsensusLabel, after a Dawid–Skene run.
//
// Rules (a delivery's events are applied together, in their order):
// - A vote (an event with `annotator`) is upserted into `label.votes`: one vote per annotator,
//   a re-vote replaces theirs unless the vote already held is strictly newer (`labelled_at`).
//   Then, unless the label was adjudicated, `label.violating` becomes the majority of all the
//   item's votes; a tie keeps the label it had before the delivery. An unlabelled item on a tie
//   takes its earliest vote's label.
// - An adjudicated label (no `annotator`) replaces `label.violating` (and `evidence` /
//   `adversarial` when given) outright and marks the label `adjudicated`; votes stay, as
//   evidence for LBL.AMBIG. Later votes no longer move an adjudicated label (only a newer
//   adjudication does), so a late or replayed vote cannot undo an adjudicator's decision.
// - `evidence` / `adversarial` sent with votes are kept on the vote; they fill the label's
//   fields only when the label has none (union of the evidence of the votes agreeing with it).
import type { EvalItem, EvalLabel, Modality, Vote } from './types.ts';

/** One label event of a delivery, as validated (labelled_at normalised to ISO 8601 UTC). */
export interface LabelEvent {
  violating: boolean;
  annotator?: string;
  evidence?: Modality[];
  adversarial?: boolean;
  labelled_at: string;
  /** The vendor that sent it (becomes label.source when it sets the label). */
  vendor: string;
}

/** A vote as stored on the item: the SPEC's {annotator, violating} plus provenance. */
export interface StoredVote extends Vote {
  vendor?: string;
  labelled_at?: string;
  evidence?: Modality[];
  adversarial?: boolean;
}

export interface LabelResult {
  /** A new item object; the input is never mutated. */
  item: EvalItem;
  /** label.violating changed, or the item got its first label. */
  labelChanged: boolean;
  /** The set of votes changed (a vote added or replaced). */
  votesChanged: boolean;
  /** Anything in the item changed. */
  changed: boolean;
}

const older = (a: string | undefined, b: string | undefined) => (a ?? '') < (b ?? '');

/**
 * Majority of the votes for `violating`; a tie keeps `current` (undefined when there is no
 * label and no vote, or a tie without a label).
 */
export function majorityLabel(votes: readonly Vote[], current: boolean | undefined): boolean | undefined {
  // One vote per annotator on an item, so this is majorityVote (consensus.ts) for one item,
  // counted inline: it runs for every label event of every webhook delivery.
  let yes = 0;
  for (const v of votes) if (v.violating) yes++;
  const no = votes.length - yes;
  return yes === no ? current : yes > no;
}

/** Same vote (as JSON.stringify would tell, without building the strings: the hot path). */
function sameVote(a: StoredVote, b: StoredVote): boolean {
  if (a.annotator !== b.annotator || a.violating !== b.violating || a.vendor !== b.vendor || a.labelled_at !== b.labelled_at || a.adversarial !== b.adversarial) return false;
  if (Object.keys(a).length !== Object.keys(b).length) return false;
  const x = a.evidence, y = b.evidence;
  return x === y || (!!x && !!y && x.length === y.length && x.every((m, i) => m === y[i]));
}

/** Fills label.evidence / label.adversarial from the votes agreeing with the label, if absent. */
function fillFromVotes(label: EvalLabel): void {
  const agreeing = (label.votes as StoredVote[] | undefined ?? []).filter((v) => v.violating === label.violating);
  if (label.evidence === undefined) {
    const ev = new Set<Modality>();
    for (const v of agreeing) for (const m of v.evidence ?? []) ev.add(m);
    if (ev.size > 0) label.evidence = (['audio', 'visual', 'text'] as Modality[]).filter((m) => ev.has(m));
  }
  if (label.adversarial === undefined && agreeing.some((v) => v.adversarial === true)) label.adversarial = true;
}

/**
 * Applies events in order — adjudications as they come, votes upserted — then, unless the label
 * is adjudicated, sets it to the majority of all the item's votes; a tie keeps the label the
 * item had before these events (an unlabelled item on a tie takes its earliest vote's label).
 * Returns the new item and what changed.
 */
export function applyLabelEvents(item: EvalItem, events: readonly LabelEvent[]): LabelResult {
  const before = item.label;
  let label: EvalLabel | undefined = before;
  let votes: StoredVote[] | null = null; // copied on the first vote that changes them
  let lastVoteVendor: string | undefined;
  for (const e of events) {
    if (e.annotator === undefined) {
      // Adjudication: an older adjudication than the one held is ignored.
      if (label?.adjudicated === true && older(e.labelled_at, label.labelled_at as string | undefined)) continue;
      label = { ...(label ?? {}), violating: e.violating, source: e.vendor, adjudicated: true, labelled_at: e.labelled_at };
      if (e.evidence !== undefined) label.evidence = [...e.evidence];
      if (e.adversarial !== undefined) label.adversarial = e.adversarial;
      continue;
    }
    const vote: StoredVote = { annotator: e.annotator, violating: e.violating, vendor: e.vendor, labelled_at: e.labelled_at };
    if (e.evidence !== undefined) vote.evidence = [...e.evidence];
    if (e.adversarial !== undefined) vote.adversarial = e.adversarial;
    const current: StoredVote[] = votes ?? ((label?.votes as StoredVote[] | undefined) ?? []);
    const at = current.findIndex((v) => v.annotator === e.annotator);
    // A stale re-vote (older than the one held) changes nothing; the same vote again neither.
    if (at >= 0 && (older(e.labelled_at, current[at].labelled_at) || sameVote(current[at], vote))) continue;
    votes ??= [...current];
    if (at >= 0) votes[at] = vote; else votes.push(vote);
    lastVoteVendor = e.vendor;
  }
  if (votes) {
    if (!label) {
      // Earliest vote first: its label breaks a tie.
      const first = [...votes].sort((x, y) => (older(x.labelled_at, y.labelled_at) ? -1 : older(y.labelled_at, x.labelled_at) ? 1 : 0))[0];
      label = { violating: majorityLabel(votes, first.violating)!, source: lastVoteVendor, votes };
    } else {
      label = { ...label, votes };
      if (label.adjudicated !== true) {
        const majority = majorityLabel(votes, before?.violating ?? label.violating)!;
        if (majority !== label.violating) { label.violating = majority; label.source = lastVoteVendor; }
      }
    }
    fillFromVotes(label);
  }
  if (label === before) return { item, labelChanged: false, votesChanged: false, changed: false };
  const labelChanged = before?.violating !== label?.violating;
  const votesChanged = votes !== null;
  const changed = labelChanged || votesChanged || JSON.stringify(before) !== JSON.stringify(label);
  return { item: changed ? { ...item, label } : item, labelChanged, votesChanged, changed };
}

/**
 * After a consensus run: a label that came from votes (not adjudicated) takes the consensus
 * (posterior of `violating` > 0.5 → true, < 0.5 → false, exactly 0.5 keeps it). Items without
 * a label or without votes, and adjudicated labels, are left alone.
 */
export function applyConsensusLabel(item: EvalItem, pViolating: number): LabelResult {
  const label = item.label;
  const unchanged = { item, labelChanged: false, votesChanged: false, changed: false };
  if (!label || label.adjudicated === true || !(label.votes?.length) || !Number.isFinite(pViolating)) return unchanged;
  const consensus = pViolating > 0.5 ? true : pViolating < 0.5 ? false : label.violating;
  if (consensus === label.violating) return unchanged;
  return { item: { ...item, label: { ...label, violating: consensus, source: 'consensus' } }, labelChanged: true, votesChanged: false, changed: true };
}

/** The posterior of the item's current label, given P(violating) from consensus. */
export function posteriorOfLabel(item: EvalItem, pViolating: number | undefined): number | undefined {
  if (pViolating === undefined || !item.label) return undefined;
  return item.label.violating ? pViolating : 1 - pViolating;
}
