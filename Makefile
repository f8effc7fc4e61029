# `make run` starts the system, `make test` runs every test; both install first when needed.
# The test targets also install the Debian tools the tests need (scripts/test-tools.sh).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-12)

.PHONY: install run demo test test-unit test-service test-e2e test-fault test-browser topology bench clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

run: install
	@bash scripts/run.sh

# Plays a campaign through the HTTP API of a running system (`make run` in another terminal).
demo: install
	$(VENV)/bin/python -m services.demo

test: install
	@bash scripts/test-tools.sh
	@bash scripts/ensure-infra.sh --for-tests
	$(VENV)/bin/pytest

test-unit: install
	@bash scripts/test-tools.sh
	$(VENV)/bin/pytest tests/unit

test-service test-e2e test-fault test-browser: install
	@bash scripts/test-tools.sh
	@bash scripts/ensure-infra.sh --for-tests
	$(VENV)/bin/pytest tests/$(subst test-,,$@)

topology: install
	$(VENV)/bin/python -m services.common.topology --config config.yml

bench: install
	@bash scripts/ensure-infra.sh
	PYTHONWARNINGS=ignore $(VENV)/bin/python -m bench $(BENCH_FLAGS)

clean:
	rm -rf $(VENV) .pytest_cache
