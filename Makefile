# Songsketch: `make run` and `make test` set up everything a fresh Debian/Ubuntu machine lacks.
#
# What gets installed, once:
#   - Debian packages (apt; through sudo when not root): build and test tools, see APT_PACKAGES;
#   - libtorch 2.13.0 from the PyPI `torch` wheel, into .deps/ (ignored by git);
#   - a Python venv in .deps/venv with mido and pretty_midi, the independent MIDI parsers the tests use.
# A second run finds the stamps and downloads nothing.

SHELL := /bin/bash
DEPS := $(CURDIR)/.deps
TORCH_VERSION := 2.13.0
TORCH_DIR := $(DEPS)/torch-$(TORCH_VERSION)
TORCH_STAMP := $(TORCH_DIR)/.complete
VENV := $(DEPS)/venv
VENV_STAMP := $(VENV)/.complete
APT_STAMP := $(DEPS)/apt.stamp

export LIBTORCH := $(TORCH_DIR)/torch
export LIBTORCH_CXX11_ABI := 1
export SONGSKETCH_PYTHON := $(VENV)/bin/python

APT_PACKAGES := build-essential pkg-config libasound2-dev libjack-jackd2-dev \
	python3 python3-venv python3-pip \
	xvfb xauth x11-utils xdotool openbox imagemagick libgl1-mesa-dri libegl1 libxkbcommon-x11-0 \
	jackd2 fluidsynth fluid-soundfont-gm sox

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup build lint unit fmt clippy bench clean-deps screenshot loss-plot

run: setup
	cargo build --release
	./target/release/songsketch

# The `jack` feature adds midir's JACK backend, which tests/playback_jack.rs drives against a
# dummy JACK server and FluidSynth; the default build keeps ALSA.
test: setup lint
	cargo test --all-targets --features jack -- --test-threads=2

# The release binary with the default model under Xvfb: an idea kept, the next on the roll.
screenshot: setup
	scripts/screenshot.sh docs/screenshots/release.png

# The default model's loss curve for its card (matplotlib only here, not for the tests).
loss-plot: $(VENV_STAMP)
	$(VENV)/bin/pip install -q matplotlib
	$(VENV)/bin/python scripts/plot_loss.py models/default

lint: setup
	cargo fmt --check
	cargo clippy --all-targets --features jack -- -D warnings

setup: $(APT_STAMP) $(TORCH_STAMP) $(VENV_STAMP)
	@command -v cargo >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs)"; exit 1; }

$(APT_STAMP):
	@mkdir -p $(DEPS)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing || exit 1; \
	fi
	@touch $@

$(VENV_STAMP): | $(APT_STAMP)
	rm -rf $(VENV)
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q mido==1.3.3 pretty_midi==0.2.10 numpy
	@touch $@

# The wheel is unpacked into a temporary folder and renamed into place, so an interrupted
# download never leaves a half libtorch behind.
$(TORCH_STAMP): | $(VENV_STAMP)
	rm -rf $(TORCH_DIR).partial
	$(VENV)/bin/pip install -q --no-deps --target $(TORCH_DIR).partial \
		torch==$(TORCH_VERSION) nvidia-cuda-runtime==13.0.96 nvidia-cuda-cupti==13.0.85
	rm -rf $(TORCH_DIR)
	mv $(TORCH_DIR).partial $(TORCH_DIR)
	@touch $@

clean-deps:
	rm -rf $(DEPS)
