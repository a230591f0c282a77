// Live streams: decisions that flicker between segments, or come too late.
import { CONFIG } from '../config.ts';
import type { ItemSignatureDef } from './types.ts';

export const TMP_FLIP: ItemSignatureDef = {
  family: 'TMP.FLIP',
  level: 'item',
  description: 'temporal instability',
  rule: 'live; its decision differs from the decisions of segments n−1 and n+1 of the same stream in the same slice, whose labels equal its own',
  appliesTo: ['FP', 'FN'],
  detect(facts, ctx) {
    const live = facts.item.live;
    const prev = ctx.neighbours?.prev;
    const next = ctx.neighbours?.next;
    if (!live || !prev || !next) return null;
    if (prev.violating !== facts.violating || next.violating !== facts.violating) return null;
    if (prev.decision === facts.decision || next.decision === facts.decision) return null;
    return {
      code: 'TMP.FLIP',
      evidence: {
        stream_id: live.stream_id, segment: live.segment, decision: facts.decision,
        prev_decision: prev.decision, next_decision: next.decision, label: facts.violating,
      },
    };
  },
};

export const TMP_LATE: ItemSignatureDef = {
  family: 'TMP.LATE',
  level: 'item',
  description: 'detected, but too late',
  rule: `live TP with flag_ms − onset_ms > ${CONFIG.lateMs}`,
  appliesTo: ['TP'],
  detect(facts) {
    if (!facts.late) return null;
    const live = facts.item.live!;
    return {
      code: 'TMP.LATE',
      evidence: { onset_ms: live.onset_ms, flag_ms: live.flag_ms, delay_ms: facts.delayMs, max_delay_ms: CONFIG.lateMs },
    };
  },
};
