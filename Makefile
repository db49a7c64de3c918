# The two entry points of a fresh Debian 12 machine:
#   make demo   install what is missing, build, run the demonstration
#   make test   install what is missing, build, run every test
# MESON_FLAGS is passed to `meson setup` when build/ is first configured.

BUILD ?= build
MESON_FLAGS ?=

.PHONY: all deps build test demo clean

all: build

deps:
	./scripts/install-deps

$(BUILD)/build.ninja:
	./scripts/install-deps
	meson setup $(BUILD) $(MESON_FLAGS)

build: deps $(BUILD)/build.ninja
	meson compile -C $(BUILD)

test: build
	meson test -C $(BUILD) --print-errorlogs

demo: build
	./scripts/demo --build $(BUILD)

clean:
	rm -rf $(BUILD)
