// Open Inference Protocol (KServe v2) tensor codec for the local server: parses and validates
// an inference request (JSON, or JSON + binary tensor data), and encodes the response.
// Every validation failure is a TensorError, answered with 400 {"error": "..."}.

export class TensorError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'TensorError';
    this.status = status;
  }
}

export interface TensorSpec {
  name: string;
  /** Width of the second dimension; the first is the batch. */
  width: number;
}

export interface DecodedRequest {
  id?: string;
  rows: number;
  /** One flat row-major Float32Array per model input. */
  inputs: Record<string, Float32Array>;
  /** Requested outputs (all when the request names none), with binary flags. */
  outputs: { name: string; binary: boolean }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The binary tensor extension is little-endian: on a little-endian host, bytes are copied as they are. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** Flat `data` of finite numbers straight into a Float32Array; undefined when it is nested or not all numbers. */
function flatData(data: unknown[]): Float32Array | undefined {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    out[i] = v;
  }
  return out;
}

/** Flattens nested `data` arrays into out; returns false if anything is not a finite number. */
function flattenInto(data: unknown[], out: number[]): boolean {
  for (const v of data) {
    if (Array.isArray(v)) {
      if (!flattenInto(v, out)) return false;
    } else if (typeof v === 'number' && Number.isFinite(v)) {
      out.push(v);
    } else {
      return false;
    }
  }
  return true;
}

/** Header name of the binary tensor data extension: byte length of the JSON part of the body. */
export const HEADER_LENGTH = 'inference-header-content-length';

/**
 * Parses an infer request body. `headerLength` is the Inference-Header-Content-Length header
 * (binary tensor extension), or undefined for a pure JSON body.
 */
export function decodeInferRequest(body: Buffer, headerLength: string | undefined, specs: readonly TensorSpec[], outputNames: readonly string[]): DecodedRequest {
  let jsonPart = body;
  let binary: Buffer | undefined;
  if (headerLength !== undefined) {
    const n = Number(headerLength);
    if (!Number.isInteger(n) || n < 0 || n > body.length) throw new TensorError(`invalid Inference-Header-Content-Length ${JSON.stringify(headerLength)}`);
    jsonPart = body.subarray(0, n);
    binary = body.subarray(n);
  }
  let req: unknown;
  try {
    req = JSON.parse(jsonPart.toString('utf8'));
  } catch {
    throw new TensorError('request body is not valid JSON');
  }
  if (!isObject(req)) throw new TensorError('request body must be a JSON object');
  if (req.id !== undefined && typeof req.id !== 'string') throw new TensorError("'id' must be a string");
  if (!Array.isArray(req.inputs) || req.inputs.length === 0) throw new TensorError("'inputs' must be a non-empty array");

  const bySpec = new Map(specs.map((s) => [s.name, s]));
  const inputs: Record<string, Float32Array> = {};
  let rows: number | undefined;
  let offset = 0;
  for (const raw of req.inputs) {
    if (!isObject(raw) || typeof raw.name !== 'string') throw new TensorError("each input needs a string 'name'");
    const name = raw.name;
    const spec = bySpec.get(name);
    if (!spec) throw new TensorError(`unknown input '${name}' (expected ${specs.map((s) => s.name).join(', ')})`);
    if (inputs[name]) throw new TensorError(`input '${name}' given twice`);
    if (raw.datatype !== 'FP32') throw new TensorError(`input '${name}': datatype must be FP32, got ${JSON.stringify(raw.datatype)}`);
    const shape = raw.shape;
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d))) {
      throw new TensorError(`input '${name}': shape must be [batch, ${spec.width}], got ${JSON.stringify(shape)}`);
    }
    const [n, w] = shape as number[];
    if (w !== spec.width) throw new TensorError(`input '${name}': shape must be [batch, ${spec.width}], got ${JSON.stringify(shape)}`);
    if (n < 1) throw new TensorError(`input '${name}': batch dimension must be >= 1, got ${n}`);
    if (rows !== undefined && n !== rows) throw new TensorError(`input '${name}' has batch ${n}, other inputs have ${rows}`);
    rows = n;
    const expected = n * w;
    const params = isObject(raw.parameters) ? raw.parameters : {};
    if (params.binary_data_size !== undefined) {
      const size = params.binary_data_size;
      if (!binary) throw new TensorError(`input '${name}': binary_data_size without Inference-Header-Content-Length`);
      if (typeof size !== 'number' || size !== expected * 4) throw new TensorError(`input '${name}': binary_data_size must be ${expected * 4} for shape ${JSON.stringify(shape)}, got ${JSON.stringify(size)}`);
      if (offset + size > binary.length) throw new TensorError(`input '${name}': binary data is truncated`);
      const arr = new Float32Array(expected);
      if (LITTLE_ENDIAN) {
        new Uint8Array(arr.buffer).set(binary.subarray(offset, offset + size));
      } else {
        const view = new DataView(binary.buffer, binary.byteOffset + offset, size);
        for (let i = 0; i < expected; i++) arr[i] = view.getFloat32(i * 4, true);
      }
      offset += size;
      if (!allFinite(arr)) throw new TensorError(`input '${name}': data must be finite numbers`);
      inputs[name] = arr;
    } else {
      if (!Array.isArray(raw.data)) throw new TensorError(`input '${name}': 'data' must be an array`);
      // Flat row-major data (what clients send) goes straight into the tensor; nested data is flattened first.
      let arr = raw.data.length === expected ? flatData(raw.data) : undefined;
      if (!arr) {
        const flat: number[] = [];
        if (!flattenInto(raw.data, flat)) throw new TensorError(`input '${name}': data must be finite numbers`);
        if (flat.length !== expected) throw new TensorError(`input '${name}': data has ${flat.length} elements, shape ${JSON.stringify(shape)} needs ${expected}`);
        arr = Float32Array.from(flat);
      }
      inputs[name] = arr;
    }
  }
  if (binary && offset !== binary.length) throw new TensorError(`binary data has ${binary.length - offset} unused bytes`);
  const missing = specs.filter((s) => !inputs[s.name]).map((s) => s.name);
  if (missing.length) throw new TensorError(`missing input(s): ${missing.join(', ')}`);

  const reqParams = isObject(req.parameters) ? req.parameters : {};
  const binaryDefault = reqParams.binary_data_output === true;
  let outputs: { name: string; binary: boolean }[];
  if (req.outputs === undefined) {
    outputs = outputNames.map((name) => ({ name, binary: binaryDefault }));
  } else {
    if (!Array.isArray(req.outputs)) throw new TensorError("'outputs' must be an array");
    outputs = req.outputs.map((o) => {
      if (!isObject(o) || typeof o.name !== 'string') throw new TensorError("each requested output needs a string 'name'");
      if (!outputNames.includes(o.name)) throw new TensorError(`unknown output '${o.name}' (expected ${outputNames.join(', ')})`);
      const p = isObject(o.parameters) ? o.parameters : {};
      return { name: o.name, binary: p.binary_data === undefined ? binaryDefault : p.binary_data === true };
    });
  }
  return { id: req.id as string | undefined, rows: rows!, inputs, outputs };
}

/**
 * Parses a Hugging Face Inference Endpoint custom-handler request (the wire format of
 * client/hf.ts): {"inputs": {"audio": [[…]], …}} with one array of N rows per model input.
 */
export function decodeHfRequest(body: Buffer, specs: readonly TensorSpec[]): DecodedRequest {
  let req: unknown;
  try {
    req = JSON.parse(body.toString('utf8'));
  } catch {
    throw new TensorError('request body is not valid JSON');
  }
  if (!isObject(req) || !isObject(req.inputs)) throw new TensorError("body must be {\"inputs\": {<input name>: [[row], …], …}}");
  const given = req.inputs;
  const known = new Set(specs.map((s) => s.name));
  const unknown = Object.keys(given).filter((k) => !known.has(k));
  if (unknown.length) throw new TensorError(`unknown input '${unknown[0]}' (expected ${specs.map((s) => s.name).join(', ')})`);
  const inputs: Record<string, Float32Array> = {};
  let rows: number | undefined;
  for (const spec of specs) {
    const v = given[spec.name];
    if (!Array.isArray(v) || v.length === 0) throw new TensorError(`input '${spec.name}' must be a non-empty array of rows`);
    if (rows !== undefined && v.length !== rows) throw new TensorError(`input '${spec.name}' has ${v.length} rows, other inputs have ${rows}`);
    rows = v.length;
    const flat: number[] = [];
    for (let i = 0; i < v.length; i++) {
      const row = v[i];
      if (!Array.isArray(row) || row.length !== spec.width) throw new TensorError(`input '${spec.name}' row ${i} must have ${spec.width} numbers`);
      if (!flattenInto(row, flat) || flat.length !== (i + 1) * spec.width) throw new TensorError(`input '${spec.name}' row ${i} must have ${spec.width} finite numbers`);
    }
    inputs[spec.name] = Float32Array.from(flat);
  }
  return { rows: rows!, inputs, outputs: [] };
}

export interface EncodedResponse {
  body: Buffer;
  headers: Record<string, string>;
}

/** Encodes an infer response; binary outputs go after the JSON header (binary tensor extension). */
export function encodeInferResponse(
  meta: { model_name: string; model_version: string; id?: string },
  outputs: { name: string; binary: boolean; shape: number[]; data: Float32Array }[],
): EncodedResponse {
  const chunks: Buffer[] = [];
  const json = {
    model_name: meta.model_name,
    model_version: meta.model_version,
    ...(meta.id !== undefined ? { id: meta.id } : {}),
    outputs: outputs.map((o) => {
      if (!o.binary) return { name: o.name, datatype: 'FP32', shape: o.shape, data: Array.from(o.data) };
      let buf: Buffer;
      if (LITTLE_ENDIAN) {
        buf = Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength); // no copy
      } else {
        buf = Buffer.alloc(o.data.length * 4);
        for (let i = 0; i < o.data.length; i++) buf.writeFloatLE(o.data[i], i * 4);
      }
      chunks.push(buf);
      return { name: o.name, datatype: 'FP32', shape: o.shape, parameters: { binary_data_size: buf.length } };
    }),
  };
  const head = Buffer.from(JSON.stringify(json));
  if (!chunks.length) return { body: head, headers: { 'content-type': 'application/json' } };
  return {
    body: Buffer.concat([head, ...chunks]),
    headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(head.length) },
  };
}
