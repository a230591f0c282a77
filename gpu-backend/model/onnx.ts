// Serialises the reference AVLM (spec.ts) as an ONNX model (IR 8, opset 13) with onnx-proto,
// and writes the matching Triton config. Deterministic: no timestamps, fixed field order,
// little-endian raw tensor data — the same weights always give the same bytes.

import onnxProto from 'onnx-proto';
import { MAX_BATCH_SIZE, MAX_QUEUE_DELAY_US } from './repository.ts';
import { DIMS, FUSION_EPS, INPUT_NAMES, MODALITY_ORDER, MODEL_NAME, OUTPUT_NAME, SEED, type ModelWeights } from './spec.ts';
import { TRUNK_SEED, type TrunkWeights } from './trunk.ts';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

export const IR_VERSION = 8;
export const OPSET = 13;

function f32Tensor(name: string, dims: number[], values: ArrayLike<number>) {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: bytes });
}

function i64Tensor(name: string, values: number[]) {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return onnx.TensorProto.create({ name, dims: [values.length], dataType: INT64, rawData: bytes });
}

function valueInfo(name: string, width: number, doc: string) {
  return onnx.ValueInfoProto.create({
    name,
    docString: doc,
    type: {
      tensorType: {
        elemType: FLOAT,
        shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] },
      },
    },
  });
}

function node(opType: string, inputs: string[], output: string, attribute: unknown[] = []) {
  return onnx.NodeProto.create({ name: output, opType, input: inputs, output: [output], attribute: attribute as never });
}

/**
 * The ONNX graph of the model: see the forward pass documented in spec.ts. With `trunk`, the
 * compute-bound variant of trunk.ts: each `x_m · W_m` is computed through the modality's
 * dense ReLU trunk instead (same interface, same scores up to float rounding).
 */
export function buildModel(w: ModelWeights, trunk?: TrunkWeights): Uint8Array {
  const P = w.policies.length;
  const H = trunk?.hidden ?? 0;
  // x_m · W_m: one MatMul, or the trunk (embedding, L dense layers, head; ReLU after each but the head).
  const projection = (m: (typeof MODALITY_ORDER)[number]) => {
    if (!trunk) return [node('MatMul', [m, `W_${m}`], `${m}_proj`)];
    const nodes = [node('MatMul', [m, `E_${m}`], `${m}_h0`), node('Relu', [`${m}_h0`], `${m}_a0`)];
    trunk.dense[m].forEach((_, k) => {
      nodes.push(node('MatMul', [`${m}_a${k}`, `M_${m}_${k + 1}`], `${m}_h${k + 1}`), node('Relu', [`${m}_h${k + 1}`], `${m}_a${k + 1}`));
    });
    nodes.push(node('MatMul', [`${m}_a${trunk.dense[m].length}`, `G_${m}`], `${m}_proj`));
    return nodes;
  };
  const projectionWeights = (m: (typeof MODALITY_ORDER)[number]) => !trunk
    ? [f32Tensor(`W_${m}`, [w.dims[m], P], w.W[m])]
    : [
      f32Tensor(`E_${m}`, [w.dims[m], H], trunk.embed[m]),
      ...trunk.dense[m].map((M, k) => f32Tensor(`M_${m}_${k + 1}`, [H, H], M)),
      f32Tensor(`G_${m}`, [H, P], trunk.head[m]),
    ];
  const init = [
    ...MODALITY_ORDER.flatMap((m) => [...projectionWeights(m), f32Tensor(`b_${m}`, [P], w.b[m])]),
    f32Tensor('fusion_weights', [3], MODALITY_ORDER.map((m) => w.fusion[m])),
    f32Tensor('fusion_eps', [1], [FUSION_EPS]),
    f32Tensor('W_policy', [w.dims.text, P], w.Wpc),
    f32Tensor('policy_bias', [P], w.pcBias),
    f32Tensor('global_bias', [P], w.b0),
    i64Tensor('axis1', [1]),
    ...MODALITY_ORDER.flatMap((m, i) => [i64Tensor(`col${i}_start`, [i]), i64Tensor(`col${i}_end`, [i + 1])]),
  ];
  const nodes = [
    // Weighted mask [N,3] and the fusion denominator [N,1].
    node('Mul', ['modality_mask', 'fusion_weights'], 'weighted_mask'),
    node('ReduceSum', ['weighted_mask', 'axis1'], 'fusion_weight_sum', [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    node('Max', ['fusion_weight_sum', 'fusion_eps'], 'fusion_den'),
    // Per-modality evidence logits [N,P], each multiplied by its weighted mask column [N,1].
    ...MODALITY_ORDER.flatMap((m, i) => [
      ...projection(m),
      node('Add', [`${m}_proj`, `b_${m}`], `${m}_logits`),
      node('Slice', ['weighted_mask', `col${i}_start`, `col${i}_end`, 'axis1'], `${m}_weight`),
      node('Mul', [`${m}_logits`, `${m}_weight`], `${m}_contrib`),
    ]),
    node('Sum', MODALITY_ORDER.map((m) => `${m}_contrib`), 'fusion_num'),
    node('Div', ['fusion_num', 'fusion_den'], 'fused_logits'),
    // Policy context: policy_context · (policy_bias + text_present · text·W_policy).
    node('Slice', ['modality_mask', 'col2_start', 'col2_end', 'axis1'], 'text_present'),
    node('MatMul', ['text', 'W_policy'], 'policy_cues'),
    node('Mul', ['policy_cues', 'text_present'], 'policy_cues_masked'),
    node('Add', ['policy_cues_masked', 'policy_bias'], 'policy_terms'),
    node('Mul', ['policy_terms', 'policy_context'], 'policy_logits'),
    node('Sum', ['fused_logits', 'policy_logits', 'global_bias'], 'logits'),
    node('Sigmoid', ['logits'], OUTPUT_NAME),
  ];
  const widths: Record<(typeof INPUT_NAMES)[number], number> = {
    audio: w.dims.audio, visual: w.dims.visual, text: w.dims.text, modality_mask: 3, policy_context: 1,
  };
  const docs: Record<(typeof INPUT_NAMES)[number], string> = {
    audio: 'audio features', visual: 'visual features', text: 'text features',
    modality_mask: 'audio, visual, text presence (1 = present)', policy_context: '1 = policy text supplied',
  };
  const graph = onnx.GraphProto.create({
    name: MODEL_NAME,
    docString: trunk
      ? `Reference AVLM, compute-bound variant (per modality ${trunk.layers} dense ReLU layers of width ${H}, same scores): masked weighted-mean fusion of per-modality evidence, policy context, sigmoid.`
      : 'Reference AVLM: masked weighted-mean fusion of per-modality linear evidence, policy context, sigmoid.',
    node: nodes,
    initializer: init,
    input: INPUT_NAMES.map((n) => valueInfo(n, widths[n], docs[n])),
    output: [valueInfo(OUTPUT_NAME, P, `sigmoid probabilities: ${w.policies.join(', ')}`)],
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'avlm-diag',
    producerVersion: '1',
    domain: 'avlm-diag',
    modelVersion: 1,
    docString: 'Stand-in for the production AVLM with the same interface; generated by gpu-backend/model/generate.ts.',
    graph,
    metadataProps: [
      { key: 'policies', value: w.policies.join(',') },
      { key: 'dims', value: JSON.stringify(w.dims) },
      { key: 'fusion_weights', value: JSON.stringify(w.fusion) },
      { key: 'seed', value: String(SEED) },
      ...(trunk ? [{ key: 'trunk', value: JSON.stringify({ hidden: H, layers: trunk.layers, seed: TRUNK_SEED }) }] : []),
    ],
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The models the Triton repository serves, one directory each, picked by name
 * (INFERENCE_MODEL): the same ONNX graph on ONNX Runtime's CUDA provider, on ONNX Runtime's
 * TensorRT accelerator, and as a TensorRT plan built from it (model/build-plan.sh).
 */
export const TRITON_VARIANTS = {
  onnx: { name: MODEL_NAME, platform: 'onnxruntime_onnx', file: 'model.onnx' },
  onnx_trt: { name: `${MODEL_NAME}_ort_trt`, platform: 'onnxruntime_onnx', file: 'model.onnx' },
  plan: { name: `${MODEL_NAME}_trt`, platform: 'tensorrt_plan', file: 'model.plan' },
} as const;
export type TritonVariant = keyof typeof TRITON_VARIANTS;

/** Triton's ONNX Runtime backend with the TensorRT execution provider (FP16, engines cached across restarts). */
const ORT_TRT_OPTIMIZATION = `optimization {
  execution_accelerators {
    gpu_execution_accelerator: [
      {
        name: "tensorrt"
        parameters { key: "precision_mode" value: "FP16" }
        parameters { key: "max_workspace_size_bytes" value: "1073741824" }
        parameters { key: "trt_engine_cache_enable" value: "1" }
        parameters { key: "trt_engine_cache_path" value: "/tmp/avlm_ort_trt_cache" }
      }
    ]
  }
}
`;

const VARIANT_COMMENT: Record<TritonVariant, string> = {
  onnx: '',
  onnx_trt: '\n# ONNX Runtime with its TensorRT accelerator (FP16; the engine is built on first load and cached).',
  plan: '\n# TensorRT plan built from ../avlm/1/model.onnx by gpu-backend/model/build-plan.sh (GPU-specific: built where it runs, never committed).',
};

/** config.pbtxt for NVIDIA Triton (dims exclude the batch dimension when max_batch_size > 0). */
export function tritonConfig(w: ModelWeights, maxBatchSize = MAX_BATCH_SIZE, queueDelayUs = MAX_QUEUE_DELAY_US, trunk?: { hidden: number; layers: number }, variant: TritonVariant = 'onnx'): string {
  const P = w.policies.length;
  const v = TRITON_VARIANTS[variant];
  const trunkLine = trunk ? `\n# Compute-bound variant: per modality ${trunk.layers} dense ReLU layers of width ${trunk.hidden} (same interface and scores).` : '';
  const input = (name: string, d: number) => `  {\n    name: "${name}"\n    data_type: TYPE_FP32\n    dims: [ ${d} ]\n  }`;
  return `# Generated by gpu-backend/model/generate.ts — do not edit by hand.
# Reference AVLM (stand-in for the production model, same interface).${trunkLine}${VARIANT_COMMENT[variant]} Output columns, in order:
# ${w.policies.join(', ')}
name: "${v.name}"
platform: "${v.platform}"
max_batch_size: ${maxBatchSize}
input [
${[input('audio', DIMS.audio), input('visual', DIMS.visual), input('text', DIMS.text), input('modality_mask', 3), input('policy_context', 1)].join(',\n')}
]
output [
  {
    name: "${OUTPUT_NAME}"
    data_type: TYPE_FP32
    dims: [ ${P} ]
    label_filename: "labels.txt"
  }
]
dynamic_batching {
  max_queue_delay_microseconds: ${queueDelayUs}
}
instance_group [
  {
    count: 1
    kind: KIND_GPU
  }
]
version_policy: { latest: { num_versions: 1 } }
${variant === 'onnx_trt' ? ORT_TRT_OPTIMIZATION : ''}`;
}

/** labels.txt: the policy of each score column, one per line. */
export function labelsFile(w: ModelWeights): string {
  return w.policies.map((p) => `${p}\n`).join('');
}
