// The Triton model repository: every config.pbtxt parsed as protobuf text format and checked
// against the ONNX graph it serves (names, types, dims, batch dimension); the TensorRT
// variants' settings; the plan script's trtexec command line in a dry run.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configProblems, onnxInterface, type GraphTensor } from '../../gpu-backend/model/check-config.ts';
import { DEFAULT_REPOSITORY, staleFiles } from '../../gpu-backend/model/generate.ts';
import { TRITON_VARIANTS } from '../../gpu-backend/model/onnx.ts';
import { isMessage, one, parsePbtxt, PbEnum, type PbMessage } from '../../gpu-backend/model/pbtxt.ts';
import { shapeProfile, tensorrtEnv } from '../../gpu-backend/server/tensorrt.ts';
import { POLICY_CODES } from '../../taxonomy/policies.ts';

const SCRIPT = 'gpu-backend/model/build-plan.sh';
const graph = onnxInterface(readFileSync(join(DEFAULT_REPOSITORY, 'avlm', '1', 'model.onnx')));
const configOf = (model: string) => parsePbtxt(readFileSync(join(DEFAULT_REPOSITORY, model, 'config.pbtxt'), 'utf8'));
const enumName = (m: PbMessage, f: string) => (one(m, f) as PbEnum).name;

describe('protobuf text format parser', () => {
  it('reads fields, nested messages (colon optional), lists, comments, strings and numbers', () => {
    const m = parsePbtxt(`# comment
      name: "a\\"b" 'c'   # adjacent literals concatenate
      max_batch_size: 8
      dims: [ 16, -1 ]
      ratio: 1.5e-3f
      input [ { name: "x" data_type: TYPE_FP32 }, { name: "y" } ]
      version_policy: { latest: { num_versions: 1 } };
      dims: 4, kind: KIND_GPU`);
    expect(one(m, 'name')).toBe('a"bc');
    expect(m.dims).toEqual([16, -1, 4]); // a list is the field repeated
    expect(one(m, 'ratio')).toBeCloseTo(0.0015);
    expect(m.input.filter(isMessage).map((i) => one(i, 'name'))).toEqual(['x', 'y']);
    expect(enumName(m.input[0] as PbMessage, 'data_type')).toBe('TYPE_FP32');
    expect(one(one<PbMessage>(one<PbMessage>(m, 'version_policy')!, 'latest')!, 'num_versions')).toBe(1);
    expect(() => one(m, 'dims')).toThrow(/'dims' occurs 3 times/);
  });

  it('rejects malformed text with the line', () => {
    expect(() => parsePbtxt('name: "x"\ndims [ 1 ]')).toThrow(/line 2: 'dims': a list of values needs ':'/);
    expect(() => parsePbtxt('input {\n name: "x"\n')).toThrow(/line 2: expected '}', got end of file/);
    expect(() => parsePbtxt('name: "x\n"')).toThrow(/line 1: unterminated string/);
    expect(() => parsePbtxt('a: 1 }')).toThrow(/line 1: expected a field name, got '}'/);
    expect(() => parsePbtxt('a < b >')).toThrow(/unexpected character "<"/);
  });
});

describe('every config.pbtxt against the ONNX graph it serves', () => {
  const models = readdirSync(DEFAULT_REPOSITORY, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

  it('the repository holds the three variants, all generated (not stale)', () => {
    expect(models).toEqual(Object.values(TRITON_VARIANTS).map((v) => v.name).sort());
    expect(staleFiles()).toEqual([]);
  });

  for (const variant of Object.values(TRITON_VARIANTS)) {
    it(`${variant.name}: ${variant.platform}, same names, types, dims and batch dimension as the graph`, () => {
      const cfg = configOf(variant.name);
      expect(one(cfg, 'name')).toBe(variant.name); // Triton requires the directory name
      expect(one(cfg, 'platform')).toBe(variant.platform);
      // The plan is built from avlm's ONNX; the ONNX variants serve their own copy of it.
      const served = variant.file === 'model.onnx' ? onnxInterface(readFileSync(join(DEFAULT_REPOSITORY, variant.name, '1', 'model.onnx'))) : graph;
      expect(served).toEqual(graph);
      expect(configProblems(cfg, served)).toEqual([]);
      expect(one(cfg, 'max_batch_size')).toBe(256);
      expect(one(one<PbMessage>(cfg, 'dynamic_batching')!, 'max_queue_delay_microseconds')).toBe(2000);
      expect(enumName(cfg.instance_group[0] as PbMessage, 'kind')).toBe('KIND_GPU');
      const out = cfg.output[0] as PbMessage;
      const labels = readFileSync(join(DEFAULT_REPOSITORY, variant.name, String(one(out, 'label_filename'))), 'utf8').trim().split('\n');
      expect(labels).toEqual([...POLICY_CODES]);
      expect(out.dims).toEqual([labels.length]);
    });
  }

  it('avlm_ort_trt runs on ONNX Runtime\'s TensorRT accelerator in FP16; the others name no accelerator', () => {
    const acc = (model: string) => {
      const opt = one<PbMessage>(configOf(model), 'optimization');
      const ea = opt && one<PbMessage>(opt, 'execution_accelerators');
      return (ea?.gpu_execution_accelerator ?? []).filter(isMessage);
    };
    const [trt, ...rest] = acc('avlm_ort_trt');
    expect(rest).toEqual([]);
    expect(one(trt, 'name')).toBe('tensorrt');
    const params = Object.fromEntries((trt.parameters ?? []).filter(isMessage).map((p) => [one(p, 'key'), one(p, 'value')]));
    expect(params).toMatchObject({ precision_mode: 'FP16', trt_engine_cache_enable: '1' });
    expect(acc('avlm')).toEqual([]);
    expect(acc('avlm_trt')).toEqual([]);
  });

  it('the check fails on a config that does not match the graph, naming the field', () => {
    const src = readFileSync(join(DEFAULT_REPOSITORY, 'avlm_trt', 'config.pbtxt'), 'utf8');
    const bad = (from: string | RegExp, to: string) => configProblems(parsePbtxt(src.replace(from, to)), graph);
    expect(bad('dims: [ 32 ]', 'dims: [ 31 ]')).toEqual([`input 'text': dims [31], the graph has [32] after the batch dimension`]);
    expect(bad(/data_type: TYPE_FP32/, 'data_type: TYPE_FP16')).toEqual([`input 'audio': data_type TYPE_FP16, the graph has TYPE_FP32`]);
    expect(bad('name: "visual"', 'name: "video"')[0]).toMatch(/^input: names \["audio","video",/);
    expect(bad('max_batch_size: 256', 'max_batch_size: 0')[0]).toMatch(/^input 'audio': dims \[16\], the graph has \["batch",16\]/);
    expect(bad('max_batch_size: 256', 'max_batch_sizes: 256')).toContain(`unknown field 'max_batch_sizes'`);
    // A graph with a fixed first dimension cannot take Triton's implicit batch dimension.
    const fixed = { ...graph, inputs: graph.inputs.map((t): GraphTensor => ({ ...t, dims: [1, ...t.dims.slice(1)] })) };
    expect(configProblems(parsePbtxt(src), fixed)).toContain(`input 'audio': max_batch_size 256 needs a variable batch dimension, the graph's first dim is 1`);
  });
});

describe('build-plan.sh (dry run)', () => {
  const dryRun = (...extra: string[]) =>
    execFileSync('sh', [SCRIPT, '--repository', DEFAULT_REPOSITORY, '--dry-run', ...extra], { encoding: 'utf8', env: { ...process.env, TRTEXEC: 'trtexec' } }).trim().split('\n');
  const flag = (argv: string[], name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const inputs = graph.inputs.map((t) => ({ name: t.name, width: t.dims[1] as number }));

  it('trtexec builds avlm_trt/1/model.plan from avlm\'s ONNX in FP16, the profile spanning 1 … max_batch_size of the graph\'s inputs', () => {
    const argv = dryRun();
    expect(argv[0]).toBe('trtexec');
    expect(flag(argv, 'onnx')).toBe(join(DEFAULT_REPOSITORY, 'avlm', '1', 'model.onnx'));
    expect(existsSync(flag(argv, 'onnx')!)).toBe(true);
    expect(flag(argv, 'saveEngine')).toBe(join(DEFAULT_REPOSITORY, 'avlm_trt', '1', TRITON_VARIANTS.plan.file));
    const maxBatch = one(configOf('avlm_trt'), 'max_batch_size') as number;
    expect(flag(argv, 'minShapes')).toBe(shapeProfile(inputs, 1));
    expect(flag(argv, 'optShapes')).toBe(shapeProfile(inputs, 64));
    expect(flag(argv, 'maxShapes')).toBe(shapeProfile(inputs, maxBatch));
    expect(argv).toContain('--fp16');
    // The local server's TensorRT profile is the same one.
    const env = tensorrtEnv({ fp16: true, cacheDir: '/c', maxBatch, optBatch: 64, inputs });
    expect([env.ORT_TENSORRT_PROFILE_MIN_SHAPES, env.ORT_TENSORRT_PROFILE_OPT_SHAPES, env.ORT_TENSORRT_PROFILE_MAX_SHAPES])
      .toEqual([flag(argv, 'minShapes'), flag(argv, 'optShapes'), flag(argv, 'maxShapes')]);
  });

  it('--fp32 drops --fp16; --opt-batch is clamped to max_batch_size; unknown arguments fail', () => {
    expect(dryRun('--fp32')).not.toContain('--fp16');
    expect(flag(dryRun('--opt-batch', '1000'), 'optShapes')).toBe(shapeProfile(inputs, 256));
    expect(() => execFileSync('sh', [SCRIPT, '--bogus'], { stdio: 'pipe' })).toThrow(/unknown argument --bogus/);
  });
});
