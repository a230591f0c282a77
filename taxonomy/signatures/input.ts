// Input coverage: the violation reached the model in a form it could not read.
import { CONFIG } from '../config.ts';
import type { ItemSignatureDef } from './types.ts';

export const ADV_EVASION: ItemSignatureDef = {
  family: 'ADV.EVASION',
  level: 'item',
  description: 'obfuscated violation slipped through',
  rule: 'FN and label.adversarial',
  appliesTo: ['FN'],
  detect: (facts) => (facts.item.label?.adversarial === true
    ? { code: 'ADV.EVASION', evidence: { adversarial: true } } : null),
};

export const LANG_ASR: ItemSignatureDef = {
  family: 'LANG.ASR',
  level: 'item',
  description: 'speech recognition did not cover the language',
  rule: `FN, evidence ∋ audio or text, asr_confidence < ${CONFIG.asrConfidence}`,
  appliesTo: ['FN'],
  detect(facts) {
    const evidence = facts.item.label?.evidence ?? [];
    const conf = facts.item.signals?.asr_confidence;
    if (!evidence.includes('audio') && !evidence.includes('text')) return null;
    if (typeof conf !== 'number' || !Number.isFinite(conf) || conf >= CONFIG.asrConfidence) return null;
    return {
      code: 'LANG.ASR',
      evidence: { asr_confidence: conf, max_confidence: CONFIG.asrConfidence, label_evidence: [...evidence] },
    };
  },
};
