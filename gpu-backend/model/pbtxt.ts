// A parser for the protobuf text format (Triton's config.pbtxt), schema-less.
//
// Why our own: no maintained npm package parses the text format — protobufjs and
// @bufbuild/protobuf read binary and JSON only, `protobufjs-textformat` is not on the
// registry, and `prototxt-parser` (last published 2017, Caffe-oriented) does not take the
// `[ … ]` list syntax Triton configs use. The subset here is the whole grammar Triton configs
// use: fields `name: value` / `name { … }` / `name: { … }`, lists `name: [ v, … ]` (same as
// repeating the field), strings (double or single quotes, C escapes, adjacent literals
// concatenated), numbers (ints, floats, exponent, sign), identifiers (enum values, true/false),
// `#` comments, the colon optional before messages (and lists of them) only, optional `,`/`;` separators. Not supported (and not used by Triton):
// `<…>` message delimiters, extensions `[pkg.ext]`, Any expansion.
//
// Every field maps to a list of its values, since without the schema a singular field and a
// repeated one look alike; `one()` reads a field that must occur at most once.

export class PbEnum {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  toString(): string {
    return this.name;
  }
}
export type PbValue = string | number | PbEnum | PbMessage;
export interface PbMessage {
  [field: string]: PbValue[];
}

export class PbtxtError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(`config.pbtxt line ${line}: ${message}`);
    this.line = line;
  }
}

type Token = { kind: 'punct' | 'ident' | 'string' | 'number'; text: string; value?: string | number; line: number };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if ('{}[]:,;'.includes(c)) { tokens.push({ kind: 'punct', text: c, line }); i++; continue; }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let out = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\n') throw new PbtxtError('unterminated string', line);
        if (src[j] === '\\') {
          const e = src[j + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
          if (!(e in map)) throw new PbtxtError(`unsupported escape \\${e}`, line);
          out += map[e];
          j += 2;
        } else out += src[j++];
      }
      if (j >= src.length) throw new PbtxtError('unterminated string', line);
      tokens.push({ kind: 'string', text: src.slice(i, j + 1), value: out, line });
      i = j + 1;
      continue;
    }
    const num = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)[fF]?/.exec(src.slice(i));
    if (num && (c !== '+' && c !== '-' ? true : /\d|\./.test(src[i + 1] ?? ''))) {
      tokens.push({ kind: 'number', text: num[0], value: Number(num[0].replace(/[fF]$/, '')), line });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) { tokens.push({ kind: 'ident', text: id[0], line }); i += id[0].length; continue; }
    throw new PbtxtError(`unexpected character ${JSON.stringify(c)}`, line);
  }
  return tokens;
}

export function parsePbtxt(src: string): PbMessage {
  const t = tokenize(src);
  let pos = 0;
  const peek = () => t[pos];
  const lineOf = () => (t[pos] ?? t[t.length - 1])?.line ?? 1;
  const expect = (text: string) => {
    if (peek()?.text !== text) throw new PbtxtError(`expected '${text}', got ${peek() ? `'${peek().text}'` : 'end of file'}`, lineOf());
    pos++;
  };

  const scalar = (): PbValue => {
    const tok = t[pos++];
    if (!tok) throw new PbtxtError('expected a value, got end of file', lineOf());
    if (tok.kind === 'string') {
      let s = tok.value as string;
      while (peek()?.kind === 'string') s += t[pos++].value as string; // "a" "b" = "ab"
      return s;
    }
    if (tok.kind === 'number') return tok.value as number;
    if (tok.kind === 'ident') return /^-?(inf|infinity|nan)$/i.test(tok.text) ? Number(tok.text.replace(/inf(inity)?/i, 'Infinity')) : new PbEnum(tok.text);
    throw new PbtxtError(`expected a value, got '${tok.text}'`, tok.line);
  };
  const value = (): PbValue => {
    if (peek()?.text === '{') {
      pos++;
      const m = message('}');
      expect('}');
      return m;
    }
    return scalar();
  };
  function message(end: string | undefined): PbMessage {
    const msg: PbMessage = Object.create(null);
    while (pos < t.length && peek().text !== end) {
      const name = t[pos++];
      if (name.kind !== 'ident') throw new PbtxtError(`expected a field name, got '${name.text}'`, name.line);
      const colon = peek()?.text === ':';
      if (colon) pos++;
      const values: PbValue[] = [];
      if (peek()?.text === '[') {
        pos++;
        while (peek()?.text !== ']') {
          values.push(value());
          if (peek()?.text === ',') pos++;
          else if (peek()?.text !== ']') throw new PbtxtError(`expected ',' or ']' in the list of '${name.text}'`, lineOf());
        }
        pos++;
        // The colon is optional before a message or a list of messages only.
        if (!colon && values.some((v) => !isMessage(v))) throw new PbtxtError(`'${name.text}': a list of values needs ':' before '['`, name.line);
      } else {
        if (!colon && peek()?.text !== '{') throw new PbtxtError(`'${name.text}': expected ':' or '{'`, name.line);
        values.push(value());
      }
      (msg[name.text] ??= []).push(...values);
      if (peek()?.text === ',' || peek()?.text === ';') pos++;
    }
    return msg;
  }
  const root = message(undefined);
  if (pos < t.length) throw new PbtxtError(`unexpected '${peek().text}'`, lineOf());
  return root;
}

/** The value of a field that must occur at most once (undefined when absent). */
export function one<T extends PbValue = PbValue>(msg: PbMessage, field: string): T | undefined {
  const v = msg[field];
  if (!v) return undefined;
  if (v.length !== 1) throw new Error(`field '${field}' occurs ${v.length} times, expected once`);
  return v[0] as T;
}

export function isMessage(v: PbValue | undefined): v is PbMessage {
  return typeof v === 'object' && v !== null && !(v instanceof PbEnum);
}
