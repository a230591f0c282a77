#!/bin/sh
# Builds the TensorRT plan of the `avlm_trt` Triton model from the ONNX graph of `avlm`, with
# trtexec: FP16, and an optimization profile whose batch dimension spans 1 … max_batch_size
# (read from avlm_trt/config.pbtxt, so the plan accepts every batch Triton may send it).
#
# A plan is specific to the GPU model, TensorRT version and driver it was built with, so it is
# built on the GPU host (Dockerfile.triton runs this before tritonserver), never committed.
# An existing plan newer than the ONNX file is kept ("loads" it: mount a volume on
# <repository>/avlm_trt/1 to keep it across restarts); --force rebuilds.
#
#   build-plan.sh [--repository DIR] [--opt-batch N] [--fp32] [--force] [--dry-run]
#
#   --repository  the Triton model repository (default /models)
#   --opt-batch   batch size TensorRT tunes its kernels for (default 64: 8 items' probe batches)
#   --fp32        no --fp16 (to measure FP16's accuracy drift against an FP32 engine)
#   --dry-run     print the trtexec command line, one argument per line, and exit
#   TRTEXEC       the trtexec binary (default: trtexec on PATH, else /usr/src/tensorrt/bin/trtexec)
set -eu

REPOSITORY=/models
OPT_BATCH=64
FP16=1
FORCE=0
DRY_RUN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repository) REPOSITORY=$2; shift 2 ;;
    --opt-batch) OPT_BATCH=$2; shift 2 ;;
    --fp32) FP16=0; shift ;;
    --force) FORCE=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    *) echo "build-plan.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

# The model's inputs (name:width, batch dimension excluded), as in avlm/config.pbtxt; the
# tests check this list against the ONNX graph.
INPUTS="audio:16 visual:16 text:32 modality_mask:3 policy_context:1"

ONNX=$REPOSITORY/avlm/1/model.onnx
CONFIG=$REPOSITORY/avlm_trt/config.pbtxt
PLAN=$REPOSITORY/avlm_trt/1/model.plan
MAX_BATCH=$(sed -n 's/^max_batch_size: *\([0-9][0-9]*\).*/\1/p' "$CONFIG")
if [ -z "$MAX_BATCH" ]; then echo "build-plan.sh: no max_batch_size in $CONFIG" >&2; exit 2; fi
if [ "$OPT_BATCH" -gt "$MAX_BATCH" ]; then OPT_BATCH=$MAX_BATCH; fi

# "audio:<b>x16,visual:<b>x16,…" for batch size $1 (trtexec's shape syntax).
shapes() {
  out=""
  for input in $INPUTS; do out="$out${out:+,}${input%%:*}:$1x${input#*:}"; done
  echo "$out"
}

TRTEXEC=${TRTEXEC:-$(command -v trtexec || echo /usr/src/tensorrt/bin/trtexec)}
set -- "$TRTEXEC" --onnx="$ONNX" --saveEngine="$PLAN" \
  --minShapes="$(shapes 1)" --optShapes="$(shapes "$OPT_BATCH")" --maxShapes="$(shapes "$MAX_BATCH")" \
  --memPoolSize=workspace:1024M --skipInference
if [ "$FP16" = 1 ]; then set -- "$@" --fp16; fi

if [ "$DRY_RUN" = 1 ]; then
  printf '%s\n' "$@"
  exit 0
fi
if [ "$FORCE" = 0 ] && [ -f "$PLAN" ] && [ "$PLAN" -nt "$ONNX" ]; then
  echo "build-plan.sh: $PLAN is newer than $ONNX, loading it as is (--force rebuilds)"
  exit 0
fi
mkdir -p "$(dirname "$PLAN")"
echo "build-plan.sh: building $PLAN (engine build: tens of seconds to minutes)"
"$@"
