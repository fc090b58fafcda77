"""`python evaluations/news_stance_shipped.py OUT [CACHE_KEY]`: the held-out news benchmarks (--limit 300) as if
params.json shipped its stance model (verify eval fit --ship-stance), without touching the packaged file: the
pipeline's verdict stage is given the params with the model."""
import dataclasses
import sys
from pathlib import Path

import torch

torch.set_num_threads(1)
import verify.pipeline.core as pipeline_module
from verify.config import Settings
from verify.evaluation import news, news_data
from verify.pipeline.core import Pipeline
from verify.verdict import calibrate
from verify.verdict.params import StanceModel, _digest, params_to_json

packaged = calibrate.load_params()
model = StanceModel.from_json(packaged.provenance["stance_model"])
shipped = dataclasses.replace(packaged, stance=model)
shipped = dataclasses.replace(shipped, digest=_digest(params_to_json(shipped)))
pipeline_module.load_params = lambda *a, **k: shipped  # what make_aggregator reads
news.load_params = lambda *a, **k: shipped  # the harness's refresh check
p = Pipeline(Settings(device="cpu", store="evaluations/results/tmp/news-store-bench.sqlite"))
res = news.run_news(list(news_data.load_news_benchmarks().values()), p, Path(sys.argv[1]), data_dir=p.settings.data_dir,
                    limit=300, params=shipped, cache_key=sys.argv[2] if len(sys.argv) > 2 else None)
for name, r in res.benchmarks.items():
    key = "macro_f1" if r.task == "stance" else "balanced_accuracy"
    print(name, {s: (v["metrics"][key], v["ci95"][key]) for s, v in r.systems.items()})
