# The course's commands. `make run` and `make test` set themselves up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-done
export GLOG_minloglevel := 2
export FLAGS_call_stack_level := 0
export PYTHONWARNINGS := ignore::DeprecationWarning

.PHONY: setup run test test-lib test-notebooks data prepare train submission lab clean-venv

setup: $(STAMP)

# Re-installs only when the pin lists change; a second `make setup` is a no-op.
$(STAMP): requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@# lib/ importable from notebooks/ and tests/: a .pth entry, the same effect as `pip install -e .`
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()["purelib"], "course.pth").write_text(str(pathlib.Path.cwd()) + "\n")'
	$(PY) -m pip check
	touch $(STAMP)

data: setup
	$(PY) -m lib.data deblur --profile $${COURSE_PROFILE:-demo} --seed 0

# Split, downsample, crop and filter the training pairs (notebook 01); a no-op when up to date.
prepare: data
	$(PY) -m lib.data.prepare --profile $${COURSE_PROFILE:-demo}

# Train the demo NAFNet (resumes if interrupted), score it on test_A against the classical
# baselines and publish it to checkpoints/deblur_nafnet_demo/.
train: prepare
	$(PY) -m lib.train --config deblur --profile demo --publish

# Export your trained model (else the shipped demo model) with TLC and pack dist/submission.zip
# (predict.py + Paddle inference model + ONNX model; notebook 05).
submission: setup
	$(PY) -m lib.export --out dist/submission.zip

run: setup data
	$(PY) -m lib.runner

test: setup test-lib test-notebooks

test-lib: setup
	COURSE_PROFILE=smoke $(PY) -m pytest -q tests

test-notebooks: setup
	COURSE_PROFILE=smoke $(PY) -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

lab: setup
	$(VENV)/bin/jupyter lab notebooks

clean-venv:
	rm -rf $(VENV)
