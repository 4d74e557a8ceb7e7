# chiso: `make demo` runs the nightly flow once on the bundled sample; `make test` runs the suite.
# Both create .venv and install the pinned dependencies (requirements.lock) on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Prefect keeps its state in the project, and nothing here talks to the internet.
export PREFECT_HOME := $(CURDIR)/var/prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: demo demo-2026 demo-province test test-fast lint lock clean bench bench-cli bench-province

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e .
	touch $@

# The province lists the suite checks data/reference/provinces.csv against
# (tests/test_provinces.py): the PyPI package vietnam-provinces before the 2025 reorganisation
# (0.6.0: 63 provinces) and after it (2025.10.1: 34), read as data from their wheels (two
# releases of one package cannot both be installed); the test checks each wheel's SHA-256.
REFERENCE_WHEELS := $(VENV)/reference-wheels

$(VENV)/.dev: $(VENV)/.runtime
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	$(BIN)/pip download --quiet --no-deps -d $(REFERENCE_WHEELS) vietnam-provinces==0.6.0
	$(BIN)/pip download --quiet --no-deps -d $(REFERENCE_WHEELS) vietnam-provinces==2025.10.1
	touch $@

demo: $(VENV)/.runtime
	mkdir -p $(PREFECT_HOME)
	$(BIN)/chiso run

# The second sample (data/README.md, "Sample: Sở KH&CN Thái Nguyên"): the merged department's
# 2025 -> 2026 plan, which continues its 2024 -> 2025 plan; one run evaluates both into
# var/demo-2026/chiso.duckdb (criterion_gaps: both plans' rows, by plan_id).
SAMPLE_2026 := data/samples/sktcn-thai-nguyen
demo-2026: $(VENV)/.runtime
	mkdir -p $(PREFECT_HOME) var/demo-2026
	$(BIN)/chiso run --plan $(SAMPLE_2026)/plans/sktcn-tng-2025-2026.yaml \
		--inbox $(SAMPLE_2026)/inbox --db var/demo-2026/chiso.duckdb

# The province sample (data/README.md, "Sample: a province, five plans"): three department and
# two commune plans of Thái Nguyên, each published in var/demo-province/plans/<id>/, the
# province file var/demo-province/province.duckdb and the monitoring office's overview.
SAMPLE_PROVINCE := data/samples/province-thai-nguyen
demo-province: $(VENV)/.runtime
	mkdir -p $(PREFECT_HOME) var/demo-province
	$(BIN)/chiso run --province $(SAMPLE_PROVINCE) --out var/demo-province; \
		code=$$?; [ $$code -le 3 ] || exit $$code
	$(BIN)/chiso report --province var/demo-province/province.duckdb

# The whole suite on both cores (pytest-xdist; a test file stays on one worker).
test: $(VENV)/.dev
	mkdir -p $(PREFECT_HOME)
	$(BIN)/pytest -n 2 --dist loadfile

# The quick loop while changing SQL, templates or Python: every test but those that start
# chiso, Prefect or a browser as processes (marked real_process), on both cores (pytest-xdist).
test-fast: $(VENV)/.dev
	mkdir -p $(PREFECT_HOME)
	$(BIN)/pytest -m "not real_process" -n 2 --dist loadfile

# The benchmark (README, Performance): generated extracts, the floor, a full run and a run with
# no new extracts; then a nightly province run (bench-province, below; 3 plans with
# SCALE=small). National scale takes several minutes; `make bench SCALE=small` is quick (the
# test suite runs that one). Results: var/bench/$(SCALE)/bench.json.
# The runs report to a Prefect server the benchmark starts, as a served deployment's do; set
# BENCH_FLAGS= to use PREFECT_API_URL, or Prefect's temporary server when it is unset.
SCALE ?= national
BENCH_FLAGS ?= --prefect-server
bench: $(VENV)/.runtime
	mkdir -p $(PREFECT_HOME)
	$(BIN)/chiso bench --scale $(SCALE) $(BENCH_FLAGS)
	$(MAKE) --no-print-directory bench-province PLANS=$(or $(PLANS),$(if $(filter small,$(SCALE)),3,))

# A nightly province run (chiso gen --scale province-plans: 115 plans), in process and on one and
# two Prefect process workers, as ratios to the floor; `make bench-province PLANS=20` is quicker.
# Results: var/bench/province-plans/bench-province.json.
PLANS ?=
bench-province: $(VENV)/.runtime
	mkdir -p $(PREFECT_HOME)
	$(BIN)/chiso bench --province $(if $(PLANS),--plans $(PLANS))

# How fast the commands a person types answer (README, Performance): median of 5 each; add
# BEFORE=<git rev> to time that revision too, in the same sitting.
bench-cli: $(VENV)/.runtime
	mkdir -p $(PREFECT_HOME)
	$(BIN)/chiso bench --cli $(if $(BEFORE),--before $(BEFORE))

lint: $(VENV)/.dev
	$(BIN)/ruff check flows tests

# Re-pin every dependency after changing pyproject.toml.
lock: $(VENV)/.dev
	$(BIN)/pip freeze --exclude-editable | grep -vE '^(pip|setuptools|wheel)==' > requirements.lock

clean:
	rm -rf $(VENV) var
