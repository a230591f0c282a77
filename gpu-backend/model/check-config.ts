// Checks a parsed Triton config.pbtxt against the ONNX graph it serves (or, for the TensorRT
// plan, is built from): tensor names and order, data types, dims and the batch dimension.
// Returns the problems found, each naming the field; [] = consistent.

import onnxProto from 'onnx-proto';
import { isMessage, one, PbEnum, type PbMessage, type PbValue } from './pbtxt.ts';

const { onnx } = onnxProto;

export interface GraphTensor {
  name: string;
  /** Triton data type of the ONNX element type (TYPE_FP32, …). */
  dataType: string;
  /** ONNX dims: a number, or the name of a symbolic dimension. */
  dims: (number | string)[];
}

const ONNX_TO_TRITON: Record<number, string> = {
  1: 'TYPE_FP32', 2: 'TYPE_UINT8', 3: 'TYPE_INT8', 5: 'TYPE_INT16', 6: 'TYPE_INT32', 7: 'TYPE_INT64',
  9: 'TYPE_BOOL', 10: 'TYPE_FP16', 11: 'TYPE_FP64', 16: 'TYPE_BF16',
};

/** The graph's inputs (initializers excluded) and outputs. */
export function onnxInterface(bytes: Uint8Array): { inputs: GraphTensor[]; outputs: GraphTensor[] } {
  const graph = onnx.ModelProto.decode(bytes).graph!;
  const inits = new Set((graph.initializer ?? []).map((i) => i.name));
  const tensor = (v: onnxProto.onnx.IValueInfoProto): GraphTensor => {
    const t = v.type!.tensorType!;
    return {
      name: v.name!,
      dataType: ONNX_TO_TRITON[t.elemType!] ?? `ONNX_${t.elemType}`,
      dims: (t.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
    };
  };
  return { inputs: (graph.input ?? []).filter((i) => !inits.has(i.name!)).map(tensor), outputs: (graph.output ?? []).map(tensor) };
}

/** ModelConfig's top-level fields (model_config.proto): anything else is a typo Triton would reject. */
const MODEL_CONFIG_FIELDS = new Set([
  'name', 'platform', 'backend', 'runtime', 'version_policy', 'max_batch_size', 'input', 'output', 'batch_input',
  'batch_output', 'optimization', 'dynamic_batching', 'sequence_batching', 'ensemble_scheduling', 'instance_group',
  'default_model_filename', 'cc_model_filenames', 'metric_tags', 'parameters', 'model_warmup', 'model_operation_policy',
  'model_transaction_policy', 'response_cache',
]);
const TENSOR_FIELDS = new Set(['name', 'data_type', 'format', 'dims', 'reshape', 'is_shape_tensor', 'allow_ragged_batch', 'optional', 'label_filename', 'is_non_linear_format_io']);

const str = (v: PbValue | undefined) => (v instanceof PbEnum ? v.name : v === undefined ? undefined : String(v));

export function configProblems(cfg: PbMessage, graph: { inputs: GraphTensor[]; outputs: GraphTensor[] }): string[] {
  const problems: string[] = [];
  for (const f of Object.keys(cfg)) if (!MODEL_CONFIG_FIELDS.has(f)) problems.push(`unknown field '${f}'`);
  const maxBatch = Number(one(cfg, 'max_batch_size') ?? 0);
  if (!Number.isInteger(maxBatch) || maxBatch < 0) problems.push(`max_batch_size: expected a non-negative integer, got ${one(cfg, 'max_batch_size')}`);
  for (const kind of ['input', 'output'] as const) {
    const tensors = (cfg[kind] ?? []).filter(isMessage);
    const expected = kind === 'input' ? graph.inputs : graph.outputs;
    const names = tensors.map((t) => str(one(t, 'name')));
    if (names.join() !== expected.map((t) => t.name).join()) {
      problems.push(`${kind}: names ${JSON.stringify(names)}, the graph has ${JSON.stringify(expected.map((t) => t.name))}`);
    }
    for (const t of tensors) {
      const name = str(one(t, 'name'));
      for (const f of Object.keys(t)) if (!TENSOR_FIELDS.has(f)) problems.push(`${kind} '${name}': unknown field '${f}'`);
      const g = expected.find((e) => e.name === name);
      if (!g) continue;
      const type = str(one(t, 'data_type'));
      if (type !== g.dataType) problems.push(`${kind} '${name}': data_type ${type}, the graph has ${g.dataType}`);
      const dims = (t.dims ?? []).map(Number);
      if (maxBatch > 0) {
        // Triton prepends the batch dimension: the graph's first dim must be variable.
        if (typeof g.dims[0] === 'number' && g.dims[0] !== -1) problems.push(`${kind} '${name}': max_batch_size ${maxBatch} needs a variable batch dimension, the graph's first dim is ${g.dims[0]}`);
        if (JSON.stringify(dims) !== JSON.stringify(g.dims.slice(1))) problems.push(`${kind} '${name}': dims ${JSON.stringify(dims)}, the graph has ${JSON.stringify(g.dims.slice(1))} after the batch dimension`);
      } else if (JSON.stringify(dims) !== JSON.stringify(g.dims.map((d) => (typeof d === 'number' ? d : -1)))) {
        problems.push(`${kind} '${name}': dims ${JSON.stringify(dims)}, the graph has ${JSON.stringify(g.dims)} (max_batch_size 0: no implicit batch dimension)`);
      }
    }
  }
  return problems;
}
