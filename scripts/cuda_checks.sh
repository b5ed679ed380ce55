#!/usr/bin/env bash
# Ember's CUDA checks on a machine with an NVIDIA GPU and CuPy (cupy-cuda12x or -13x):
# every device-parametrised test on "cuda" (core ops and optimisers, then the domain
# packages' device-vs-CPU checks), then the GPU benchmarks beside PyTorch (skip: T_BENCH=0).
# Logs go to $OUT (default /tmp/ember-cuda). Run from the repository root:
#     bash scripts/cuda_checks.sh            # everything
#     bash scripts/cuda_checks.sh -k "abs"   # extra pytest arguments narrow the test part
set -u
OUT=${OUT:-/tmp/ember-cuda}
mkdir -p "$OUT"
root=$PWD
export PYTHONPATH=$root/packages/core/src:$root/packages/vision/src:$root/packages/text/src:$root/packages/audio/src${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1
workers=${WORKERS:-12}
nvidia-smi -L
python3 -c "import cupy, ember; print('cupy', cupy.__version__, '| ember.cuda.is_available():',
ember.cuda.is_available(), '|', ember.cuda.get_device_name())" || exit 1

run_tests() {  # name, timeout, pytest arguments...
    local name=$1 limit=$2
    shift 2
    echo "== $name"
    timeout "$limit" python3 -m pytest -p no:cacheprovider -p no:benchmark -n "$workers" --timeout 90 -q \
        --tb=short -rfE --durations=5 "$@" >"$OUT/$name.log" 2>&1
    echo "exit $?"
    grep -E "^(FAILED|ERROR)|passed|failed" "$OUT/$name.log" | tail -40
}
run_tests other "${T_OTHER:-140}" tests/core --ignore=tests/core/test_ops.py -k cuda "$@"
run_tests ops_forward "${T_FWD:-100}" tests/core/test_ops.py -k "cuda and (forward or method)" "$@"
run_tests ops_grad "${T_GRAD:-150}" tests/core/test_ops.py \
    -k "cuda and not (forward or method)" "$@"
for package in vision text audio; do  # one call each: the three files share a name
    run_tests "$package" "${T_DOMAIN:-90}" "tests/$package/test_on_devices.py" -m cuda "$@"
done
[ "${T_BENCH:-100}" = 0 ] && exit 0
echo "== benchmarks"
cd "$root/benchmarks" && timeout "${T_BENCH:-100}" python3 bench_cuda.py 2>&1 | tee "$OUT/bench.log"
