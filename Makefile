# The course's commands. `make run` and `make test` set themselves up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-done
# The track of the course that data / prepare / train / submission act on (lib/tracks/).
TRACK ?= deblur
# (Paddle's logging is quieted by each command itself: lib/quiet.py, imported first by every entry point.)

.PHONY: setup bytecode run notebooks test test-fast lint test-lib test-notebooks data prepare train ship submission check-full lab app clean-venv

setup: $(STAMP)

# Installs the project editable (`-e .`: lib/ and lab/ importable from notebooks/, tests/ and any folder) with its
# extras, every package at the version constraints.txt pins, then `pip check`. Re-installs only when pyproject.toml or
# constraints.txt change; a second `make setup` is a no-op. The installer is uv (pinned in constraints.txt, installed
# by pip first): the same pins, resolved and installed in parallel from its cache: setup 60 s on a fresh clone (pip took
# about 3 minutes).
# It byte-compiles every module (--compile-bytecode, as pip does): on a machine with PYTHONDONTWRITEBYTECODE=1 every
# process would otherwise compile again what it imports (`make test` took 21 min instead of 16 without it).
UV_PIN = $(shell sed -n 's/^uv==//p' constraints.txt)
$(STAMP): pyproject.toml constraints.txt
	@echo "[setup 1/3] virtual environment $(VENV) ($(PYTHON): $$($(PYTHON) --version 2>&1)) and uv $(UV_PIN)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --progress-bar off "uv==$(UV_PIN)"
	@echo "[setup 2/3] uv pip install -e \".[app,dev,lab]\" with the $$(grep -c '==' constraints.txt) pins of constraints.txt (Paddle, PaddleSeg, ONNX Runtime, Jupyter ...): a minute or two the first time (longer when uv has to download them)"
	@$(VENV)/bin/uv pip install --python $(PY) --quiet --compile-bytecode -e ".[app,dev,lab]" -c constraints.txt
	@echo "[setup 3/3] pip check"
	@$(PY) -m pip check
	@touch $(STAMP)
	@echo "[setup] done: $(VENV) is ready (make setup is a no-op until pyproject.toml or constraints.txt change)"

data: setup
	$(PY) -m lib.data $(TRACK) --profile $${COURSE_PROFILE:-demo} --seed 0

# The track's preparation for training (deblur: notebook 01's split, 2x downsample, crops and
# gradient filter); a no-op when up to date.
prepare: setup
	$(PY) -m lib.data $(TRACK) --profile $${COURSE_PROFILE:-demo} --seed 0 --prepare

# Train the track's model of the profile (COURSE_PROFILE, default demo; resumes if interrupted; processes
# per the track's launch: nproc), score it on its held-out data against the classical baselines and publish
# it to runs/published/<track>_<model>_<profile>/, where the notebooks and make submission find it (the
# shipped model in checkpoints/ stays; make ship rebuilds it). SCALE=X runs the schedule X times longer;
# SET="model.width=32 train.seed=1" changes options of the model or train section for this run
# (space-separated, no space inside a value; python -m lib.train --set).
train: prepare
	$(PY) -m lib.train --config $(TRACK) --profile $${COURSE_PROFILE:-demo} $(if $(SCALE),--schedule-scale $(SCALE)) $(foreach s,$(SET),--set $(s)) --publish

# Rebuild a SHIPPED demo model (checkpoints/<track>_<model>_demo/) by its recipe, lib/configs/shipped/<track>.yaml:
# the demo profile with the recipe's settings, its schedule longer (deblur x4, sdwnet x2; denoise, retouch and
# deocclusion were shipped from an earlier demo recipe, before their demo profile became the learner's shorter run).
# Deliberate, never part of the course; it trains in runs/train/<track>-demo-ship/ and resumes there.
ship: prepare
	COURSE_PROFILE=demo $(PY) -m lib.train --config $(TRACK) --profile demo --ship

# Export your trained model of the profile (COURSE_PROFILE, default demo; for demo, else the shipped demo
# model; a profile never trained is an error) and pack dist/<track>_submission.zip (deblur:
# dist/submission.zip with TLC; predict.py + Paddle inference model + ONNX model; notebook 05).
submission: setup
	$(PY) -m lib.export --track $(TRACK) --profile $${COURSE_PROFILE:-demo}

# The course's own modules byte-compiled (what changed since the last time): setup compiles the environment's, and
# where PYTHONDONTWRITEBYTECODE=1 (as on this machine) no process writes them, so every process of a test run (the
# workers, each notebook's kernel, each course command under test) would compile lib/ again (~0.9 s of CPU
# for the modules a notebook imports). Measured on fresh clones: `make test` 1715 s of CPU and 15:28 without it,
# 1580 s and 14:14 with it.
bytecode: setup
	@$(PY) -m compileall -q lib lab tests

# Every notebook in the demo profile (COURSE_PROFILE), executed copies and the summary table in runs/ (lib/runner.py).
# JOBS notebooks at a time: one track's notebooks in order, different tracks side by side; JOBS=1 one at a time.
JOBS ?= 2
run: setup data bytecode
	$(PY) -m lib.runner --jobs $(JOBS)

# Store the executed notebooks of the last `make run` (runs/*.ipynb) in notebooks/, so that a reader sees every
# result without running: only copies of a successful demo run of the notebooks as they are now (lib/runner.py).
notebooks: setup
	$(PY) -m lib.runner --store

# Lint, then the tests and the notebooks in ONE pytest run: the two workers share out the files of both (a worker
# that finishes its tests takes a notebook, instead of idling while the other ends the last test file); the notebooks
# are listed first, so their longest runs start early. test-lib and test-notebooks run each half alone.
# --durations=20 ends the run with its twenty slowest steps (a test, a fixture or a notebook cell): where the time goes.
test: setup lint bytecode
	COURSE_PROFILE=smoke $(PY) -m pytest -q $(XDIST) --durations=20 --nbval-lax --nbval-current-env notebooks tests

# The tests and the notebooks run in $(WORKERS) processes (pytest-xdist; Paddle computes on one thread per process,
# so one process per core): each test file and each notebook runs whole in one of them (--dist loadfile: a file's
# module fixtures are built once, a notebook's cells run in order in one kernel). WORKERS=0 runs them in one process.
WORKERS ?= 2
XDIST := $(if $(filter-out 0,$(WORKERS)),-n $(WORKERS) --dist loadfile)

# The quick tier for a contributor's edit-test loop: lint and the tests not marked slow (no notebooks).
test-fast: setup lint bytecode
	COURSE_PROFILE=smoke $(PY) -m pytest -q $(XDIST) -m "not slow" tests

# ruff (pyproject.toml [tool.ruff]): lint, and formatting checked, never rewritten (`ruff format .` does that);
# lint-imports: the architecture's import contracts (pyproject.toml [tool.importlinter]).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

test-lib: setup bytecode
	COURSE_PROFILE=smoke $(PY) -m pytest -q $(XDIST) tests

test-notebooks: setup bytecode
	COURSE_PROFILE=smoke $(PY) -m pytest -q $(XDIST) --nbval-lax --nbval-current-env notebooks

# Every track's full profile end to end at full size on this CPU (not part of `make test`): full-size samples in
# the real layout, 2 optimizer steps at the first and last stage, evaluate, export, predict.py; seconds per step,
# peak memory and the V100 hours of the whole schedule (lab/check_full.py, lab/bench/README.md).
check-full: setup
	$(PY) -m lab.check_full --json lab/records/check_full.json

lab: setup
	$(VENV)/bin/jupyter lab notebooks

# The web app (lib/app/): every track's model on your own image, one tab per track, at http://127.0.0.1:$(PORT)
# (printed when it serves); PORT chooses the port, HOST=0.0.0.0 lets other machines reach it. The model of
# each tab is your own of COURSE_PROFILE (make train), else the shipped demo model. Ctrl-C stops it.
PORT ?= 7860
app: setup
	$(PY) -m lib.app --port $(PORT) $(if $(HOST),--host $(HOST))

# The folder to upload to AI Studio's app hosting (README: 部署到 AI Studio): app.gradio.py, the app's own pinned
# requirements (app/requirements.txt, as requirements.txt), the lib/ it imports, the shipped models and the examples,
# into $(BUNDLE) (replaced if there). `python -m lib.app.requirements` rewrites app/requirements.txt from what the app
# imports.
BUNDLE ?= dist/app_bundle
.PHONY: app-bundle check-app
app-bundle: setup
	$(PY) -m lib.app.bundle $(BUNDLE) --replace

# That folder tried as a host would (not part of `make test`: minutes, and pip downloads several hundred MB the first
# time): a fresh `$(PYTHON) -m venv`, pip install of the bundle's requirements.txt, the host's Paddle, the app started
# from the folder on a free localhost port and one request per tab through gradio_client (lib/app/check.py).
check-app: setup
	$(PY) -m lib.app.check --python $(PYTHON)

clean-venv:
	rm -rf $(VENV)
