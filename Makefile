# Switchboard — build, run and test on a fresh Debian machine as root.
#   make run    install what is missing, build, start the server
#   make test   install what is missing, run every test
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)

BIN      ?= bin/switchboard
ADDR     ?= :8080
DATA     ?= ./data
FUZZTIME ?= 15s
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# Debian packages the build and the tests need: Opus (cgo), the embedded
# speech engines, and the command-line tools tests cross-check against.
APT_PACKAGES := pkg-config libopus-dev libopusfile-dev flite flite1-dev \
	libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us sox opus-tools libmp3lame-dev

# Real-time end-to-end packages: whole calls over sockets in real time, and
# the binary under signals and kill -9. They run one package at a time and
# without the race detector, which slows audio processing below real time;
# every package they drive is also tested under -race on its own.
REALTIME_PKGS := ./server/... ./transport/twilio/twiliotest/... ./cmd/...

.PHONY: deps apt-deps go-deps node-deps build run test test-go test-node bench lint fuzz clean

deps: apt-deps go-deps node-deps

apt-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v go >/dev/null || { echo "Go 1.26 is required (expected at /usr/local/go)"; exit 1; }

go-deps:
	@go mod download

node-deps:
	@command -v npm >/dev/null || { echo "Node 20 and npm are required"; exit 1; }
	@cd tools/node && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		npm ci --no-audit --no-fund --loglevel=error; fi

build: apt-deps go-deps
	go build -ldflags "-X github.com/switchboard-voice/switchboard/server.Version=$(VERSION)" -o $(BIN) ./cmd/switchboard

run: build
	$(BIN) serve --addr $(ADDR) --data $(DATA)

# SWITCHBOARD_REQUIRE_TOOLS makes tests that use external tools (npm clients,
# sox, flite) fail instead of skipping when a tool is missing.
test: deps lint
	SWITCHBOARD_REQUIRE_TOOLS=1 go test -race -timeout 25m $$(go list ./... | grep -v -E '/(server|cmd)(/|$$)|/twiliotest')
	SWITCHBOARD_REQUIRE_TOOLS=1 go test -p 1 -timeout 25m $(REALTIME_PKGS)

bench: deps
	go test -run '^$$' -bench . -benchmem -timeout 30m ./audio/... ./storage/... ./providers/... ./bench/... | tee bench/results/go-bench.txt
	go run ./bench/cmd/voicebench -out bench/results

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null)); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...

# Runs every fuzz target for FUZZTIME each.
fuzz: apt-deps go-deps
	@for pkg in $$(go list ./...); do \
		for f in $$(go test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; go test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin
