# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
# Python 3.11, 3.12 and 3.13 are supported; one virtualenv per interpreter, e.g.
#   make test PYTHON=python3.12 VENV=.venv-3.12
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# The project's rooms (the editable install's code, byte-compiled once before the tests run).
ROOMS := vocab data simulator outputs features models judging explaining present flows app cli deploy
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export MLFLOW_DISABLE_TELEMETRY ?= true
export DO_NOT_TRACK ?= 1

.PHONY: demo test test-fast test-smoke test-on-demand lint typecheck bench clean lock browser postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

# pip byte-compiles what it installs (about 37 CPU-seconds per environment). Not compiled,
# where PYTHONDONTWRITEBYTECODE is set (this machine sets it) every process compiled every
# module it imported, every time: `import flows.score, flows.train` took 17 to 19 CPU-seconds
# instead of 10 to 11, in each of the many commands, servers and workers the tests
# start (docs/benchmarks.md, "CI on a clean clone").
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

$(TEST_STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(STAMP) $@

demo: $(STAMP)
	$(BIN)/ews demo

# Debian's Chromium drives the dashboard's browser test (Playwright uses it; nothing is downloaded).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends chromium >/dev/null; }; }

# Debian's PostgreSQL server programs for the tests that run on a real server (each test
# starts its own throwaway cluster: deploy/postgres.py); no service is enabled.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y --no-install-recommends postgresql >/dev/null 2>&1 || \
	  { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends postgresql >/dev/null; }; }

# The tests run in TEST_WORKERS processes (pytest-xdist), a file's tests in one process so that
# its module fixtures are built once. The files go out in the order tests/conftest.py gives
# (--no-loadscope-reorder keeps it): the multi-machine rehearsal first, then the files with the
# most tests first, xdist's own order, which keeps the end-to-end files (a few tests each, every
# one starting commands and servers) from running beside each other: ordering them all first or
# longest first made CI slower (docs/benchmarks.md). One process left the second core idle for
# half of CI.
# The long checks marked `on_demand` run by `make test-on-demand`, not here or in CI (half an hour
# on two cores): the soak in small, as the reliability matrix asks of the soak
# (docs/reliability.md; its faults are each tested apart), and the ten-seed calibration sweeps
# of the article presets (the seeds checked by default are tested here).
# The tests start many processes: the project's code is byte-compiled once before them.
TEST_WORKERS ?= 2
test: $(TEST_STAMP) browser postgres
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(ROOMS)
	$(BIN)/python -m compileall -q $(ROOMS) tests
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=20 -m "not on_demand"

test-on-demand: $(TEST_STAMP)
	$(BIN)/pytest -m on_demand

# The tests not marked slow (no end-to-end runs), in shares if asked (PYTEST_ARGS="--shard 1/2").
test-fast: $(TEST_STAMP) browser postgres
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

# A quick pass that imports every room and runs its pure tests: what CI runs on 3.12 and 3.13
# beside `make test` on 3.11. The golden ranking (F22) is among them: the same pins must rank
# the same on every supported Python.
SMOKE_TESTS := tests/docs tests/vocab tests/cli tests/app/test_pure.py tests/data/test_schemas.py \
	tests/data/test_admin_units.py tests/features/test_build.py tests/models/test_tables.py \
	tests/judging/test_acted.py tests/present/test_signals.py tests/present/test_brief.py \
	tests/reliability/test_golden.py
test-smoke: $(TEST_STAMP)
	$(BIN)/python -c "import cli.main, app.main, flows.score, flows.train, deploy.rehearse"
	$(BIN)/pytest -m "not slow" $(SMOKE_TESTS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(ROOMS)

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_demo.py

lock: $(TEST_STAMP)
	(echo "# Resolved set, Python 3.11 (pip freeze). Used as pip constraints by the Makefile."; \
	 $(BIN)/pip freeze --exclude-editable | grep -v '^-e') > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
