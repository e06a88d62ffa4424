# The course's commands. `make run` and `make test` set themselves up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-done
# The track of the course that data / prepare / train / submission act on (lib/tracks/).
TRACK ?= deblur
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
	$(PY) -m lib.data $(TRACK) --profile $${COURSE_PROFILE:-demo} --seed 0

# The track's preparation for training (deblur: notebook 01's split, 2x downsample, crops and
# gradient filter); a no-op when up to date.
prepare: setup
	$(PY) -m lib.data $(TRACK) --profile $${COURSE_PROFILE:-demo} --seed 0 --prepare

# Train the track's demo model (resumes if interrupted), score it on its held-out data against the
# classical baselines and publish it to checkpoints/<track>_<model>_demo/.
train: prepare
	$(PY) -m lib.train --config $(TRACK) --profile demo --publish

# Export your trained model (else the shipped demo model) and pack dist/<track>_submission.zip
# (deblur: dist/submission.zip with TLC; predict.py + Paddle inference model + ONNX model; notebook 05).
submission: setup
	$(PY) -m lib.export --track $(TRACK)

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
