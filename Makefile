# Huddle's build: one non-recursive Makefile.
#
#   make            build bin/huddle (installs missing Debian packages first)
#   make test       unit, golden and end-to-end tests, then again under ASan+UBSan
#   make demo       run a workflow on a virtual clock, show its decision record, check and draw the workflows
#   make fuzz       libFuzzer targets, 60 s each (FUZZ_SECONDS=N to change)
#   make bench      benchmarks, printed as a table
#
# Outputs go under build/ (build/asan/ for the sanitizer build); flex and bison output
# is generated under build/gen/ and never committed. Objects are rebuilt when the
# compiler flags change (build/*/flags records them).

.DEFAULT_GOAL := all

# ---- packages ---------------------------------------------------------------------

DEB_PACKAGES := gcc make flex bison pkg-config libcurl4-openssl-dev liblmdb-dev \
                lmdb-utils libjansson-dev libmicrohttpd-dev libcmocka-dev libssl-dev \
                graphviz clang tzdata python3 curl python3-aiosmtpd
DEPS_STAMP := build/deps-ok

# ---- flags ------------------------------------------------------------------------

CC       ?= cc
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wundef -Wvla -Wno-format-nonliteral -Wno-format-truncation
CPPFLAGS := -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
ASAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
PKGS     := jansson libcrypto lmdb libcurl libmicrohttpd
LDLIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
# Generated code is not ours to keep warning-free.
GEN_CFLAGS := -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter \
              -Wno-missing-prototypes -Wno-shadow -Wno-unused-but-set-variable

# ---- layers: which folder may include which ---------------------------------------
#
# Each folder is compiled with the include paths of what it may use and no others, so
# an arrow that runs the wrong way is a compile error ("file not found"). The picture
# is in docs/internals.md. Headers of libraries a layer must not touch are shadowed
# by build/forbidden/NAME/, whose copy of the header is an #error naming the layer that
# owns it (-I is searched before the system's folders).

LANG_BASE     := -Ilang/base
LANG_SYNTAX   := $(LANG_BASE) -Ilang/syntax -Ibuild/gen
LANG_ALL      := $(LANG_SYNTAX) -Ilang/check -Ilang/compile -Ilang/bytecode -Ilang
NO_LMDB       := -Ibuild/forbidden/lmdb
NO_NET        := -Ibuild/forbidden/curl -Ibuild/forbidden/microhttpd
NO_JSON       := -Ibuild/forbidden/jansson

INC_lang/base     := $(LANG_BASE)
INC_lang/syntax   := $(LANG_SYNTAX)
INC_lang/check    := $(LANG_SYNTAX) -Ilang/check
INC_lang/bytecode := $(LANG_BASE) -Ilang/bytecode
INC_lang/compile  := $(LANG_SYNTAX) -Ilang/check -Ilang/bytecode -Ilang/compile
INC_lang          := $(LANG_ALL)
INC_build/gen     := $(LANG_SYNTAX)
INC_runtime/vm     := $(LANG_BASE) -Ilang/bytecode -Iruntime/vm
INC_runtime/store  := -Iruntime/store
INC_runtime/people := $(LANG_BASE) -Ilang/bytecode -Iruntime/vm -Iruntime/people
# The connectors: the connectors file, HTTP in (libmicrohttpd) and out (libcurl), mail;
# lang/base/, jansson and the two network libraries, which no other layer may include.
INC_runtime/connectors := $(LANG_BASE) -Iruntime/connectors
# The decision record's hashing (canonical JSON, SHA-256 chains): lang/base/ only.
INC_runtime/audit  := $(LANG_BASE) -Iruntime/audit
INC_runtime/engine := $(INC_runtime/people) -Iruntime/connectors -Iruntime/audit -Iruntime/store \
                      -Iruntime/engine
INC_runtime/cli    := $(LANG_ALL) -Iruntime/vm -Iruntime/people -Iruntime/connectors -Iruntime/audit \
                      -Iruntime/engine -Iruntime/cli
# Tests, tools and benchmarks may look at every layer.
INC_ALL := $(LANG_ALL) -Iruntime/vm -Iruntime/store -Iruntime/people -Iruntime/connectors -Iruntime/audit \
           -Iruntime/engine \
           -Iruntime/cli -Itests/fuzz -Ibench

# The include paths of one source file: its folder's set, plus the forbidden shadows
# of the libraries it may not use (lang/ uses none; only store/ sees LMDB, only
# connectors/ sees libcurl and libmicrohttpd).
layer_of = $(patsubst %/,%,$(dir $(1)))
includes = $(INC_$(call layer_of,$(1))) \
           $(if $(filter lang% build/gen,$(call layer_of,$(1))),$(NO_JSON)) \
           $(if $(filter runtime/store,$(call layer_of,$(1))),,$(NO_LMDB)) \
           $(if $(filter runtime/connectors,$(call layer_of,$(1))),,$(NO_NET))

FORBIDDEN := build/forbidden/lmdb/lmdb.h build/forbidden/jansson/jansson.h \
             build/forbidden/curl/curl/curl.h build/forbidden/microhttpd/microhttpd.h
.PRECIOUS: $(FORBIDDEN)
build/forbidden/%.h:
	@mkdir -p $(dir $@)
	@echo '#error "$(notdir $@) is not for this layer: see the layers in docs/internals.md"' > $@

# `make -s print-includes FILE=runtime/vm/vm.c` prints the include flags FILE is compiled
# with (tests/e2e/layers.sh compiles wrong arrows with them and expects errors).
.PHONY: print-includes
print-includes: | $(FORBIDDEN)
	@echo $(call includes,$(FILE))

# ---- sources ----------------------------------------------------------------------

LANG_SRC := $(wildcard lang/*.c lang/*/*.c)
RUNTIME_SRC := $(filter-out runtime/cli/main.c,$(wildcard runtime/*/*.c))
GEN_SRC  := build/gen/lexer.c build/gen/parser.c build/gen/stdlib_modules.c
CORE_SRC := $(LANG_SRC) $(GEN_SRC) $(RUNTIME_SRC)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(1)/obj/%.o,$(patsubst build/gen/%,gen/%,$(2)))

REL_OBJ  := $(call obj,build/rel,$(CORE_SRC))
ASAN_OBJ := $(call obj,build/asan,$(CORE_SRC))

.PHONY: all deps test demo fuzz bench clean unit-bins bench-bins
all: bin/huddle

# ---- Debian packages --------------------------------------------------------------

deps: $(DEPS_STAMP)
$(DEPS_STAMP):
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "huddle needs these Debian packages; as root run:"; \
	    echo "  apt-get update && apt-get install -y$$missing"; exit 1; \
	  fi; \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
	@mkdir -p build && touch $@

# ---- generated sources ------------------------------------------------------------

build/gen/parser.c build/gen/parser.h &: lang/syntax/parser.y | $(DEPS_STAMP)
	@mkdir -p build/gen
	bison -Wall -Werror --defines=build/gen/parser.h -o build/gen/parser.c $<

build/gen/lexer.c: lang/syntax/lexer.l build/gen/parser.h | $(DEPS_STAMP)
	@mkdir -p build/gen
	flex -o $@ $<

build/gen/stdlib_modules.c: $(wildcard stdlib/*.play) lang/syntax/embed_stdlib.sh
	@mkdir -p build/gen
	sh lang/syntax/embed_stdlib.sh $(wildcard stdlib/*.play) > $@

# ---- objects, in two variants -----------------------------------------------------

define variant_rules
$(1)/flags: FORCE
	@mkdir -p $(1); echo '$(CC) $(2) $(CPPFLAGS)' | cmp -s - $$@ || echo '$(CC) $(2) $(CPPFLAGS)' > $$@
$(1)/obj/gen/%.o: build/gen/%.c $(1)/flags build/gen/parser.h | $(FORBIDDEN)
	@mkdir -p $$(dir $$@)
	$$(CC) -std=c11 $(WARNINGS) $(GEN_CFLAGS) $(2) $$(CPPFLAGS) $$(call includes,$$<) -MMD -MP -c $$< -o $$@
$(1)/obj/%.o: %.c $(1)/flags build/gen/parser.h | $(DEPS_STAMP) $(FORBIDDEN)
	@mkdir -p $$(dir $$@)
	$$(CC) -std=c11 $(WARNINGS) $(2) $$(CPPFLAGS) $$(call includes,$$<) -MMD -MP -c $$< -o $$@
endef
$(eval $(call variant_rules,build/rel,$(CFLAGS)))
$(eval $(call variant_rules,build/asan,$(ASAN_CFLAGS)))
FORCE:

-include $(shell find build -name '*.d' 2>/dev/null)

# ---- binaries ---------------------------------------------------------------------

bin/huddle: $(REL_OBJ) build/rel/obj/runtime/cli/main.o
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/asan/huddle: $(ASAN_OBJ) build/asan/obj/runtime/cli/main.o
	$(CC) $(ASAN_CFLAGS) -o $@ $^ $(LDLIBS)

# Unit tests link the core (everything but main) with cmocka, and with the helpers they
# share, tests/unit/support/*.c (compiled into each; their headers are found through
# -Itests/unit/support). test_oom and test_vm_oom wrap the allocator (GNU ld --wrap) to
# fail the Nth allocation, through tests/unit/oom/failing_alloc.c, linked into them only.
UNIT_SUPPORT := $(wildcard tests/unit/support/*.c tests/unit/support/*.h)
UNIT_CFLAGS := -std=c11 $(WARNINGS) -Wno-missing-prototypes
UNIT_LDFLAGS :=
UNIT_INC := -Itests/unit/support
OOM_UNITS := build/rel/unit/test_oom build/asan/unit/test_oom build/rel/unit/test_vm_oom \
  build/rel/unit/test_front_oom build/asan/unit/test_front_oom \
  build/asan/unit/test_vm_oom
$(OOM_UNITS): UNIT_LDFLAGS := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
$(OOM_UNITS): UNIT_INC := -Itests/unit/support -Itests/unit/oom
$(OOM_UNITS): tests/unit/oom/failing_alloc.c tests/unit/oom/failing_alloc.h
# test_batch wraps two engine functions (events_accept, task_timeout) so that chosen
# inputs and timers fail or are refused after they have written (tests/unit/test_batch.c).
BATCH_UNITS := build/rel/unit/test_batch build/asan/unit/test_batch
$(BATCH_UNITS): UNIT_LDFLAGS := -Wl,--wrap=events_accept,--wrap=task_timeout
# test_serve_replies stands in for the HTTP layer and the engine's durability counts
# (tests/unit/test_serve_replies.c).
REPLY_UNITS := build/rel/unit/test_serve_replies build/asan/unit/test_serve_replies
$(REPLY_UNITS): UNIT_LDFLAGS := -Wl,--wrap=http_reply,--wrap=engine_commits,--wrap=engine_durable,--wrap=engine_sync
build/rel/unit/%: tests/unit/%.c $(UNIT_SUPPORT) $(REL_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(CFLAGS) $(CPPFLAGS) $(INC_ALL) $(UNIT_INC) $(UNIT_LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS) -lcmocka
build/asan/unit/%: tests/unit/%.c $(UNIT_SUPPORT) $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) $(ASAN_CFLAGS) $(CPPFLAGS) $(INC_ALL) $(UNIT_INC) $(UNIT_LDFLAGS) -o $@ $(filter-out %.h,$^) $(LDLIBS) -lcmocka

# Crash-test tools (tests/crash/) link the core the same way, without cmocka;
# batch_apply wraps events_accept to make an input fail after writing.
TOOL_LDFLAGS :=
build/rel/tools/batch_apply build/asan/tools/batch_apply: TOOL_LDFLAGS := -Wl,--wrap=events_accept
build/rel/tools/%: tests/crash/%.c $(REL_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARNINGS) $(CFLAGS) $(CPPFLAGS) $(INC_ALL) $(TOOL_LDFLAGS) -o $@ $^ $(LDLIBS)
build/asan/tools/%: tests/crash/%.c $(ASAN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARNINGS) $(ASAN_CFLAGS) $(CPPFLAGS) $(INC_ALL) $(TOOL_LDFLAGS) -o $@ $^ $(LDLIBS)
CRASH_TOOL_NAMES := $(notdir $(basename $(wildcard tests/crash/*.c)))
CRASH_TOOLS := $(addprefix build/rel/tools/,$(CRASH_TOOL_NAMES)) $(addprefix build/asan/tools/,$(CRASH_TOOL_NAMES))

UNIT_NAMES := $(notdir $(basename $(UNIT_SRC)))
unit-bins: $(addprefix build/rel/unit/,$(UNIT_NAMES)) $(addprefix build/asan/unit/,$(UNIT_NAMES))

# ---- the two commands -------------------------------------------------------------

# The benchmarks are built (not run) by `make test` too, so a change that breaks them
# is caught there.
test: bin/huddle build/asan/huddle unit-bins $(CRASH_TOOLS) bench-bins
	@sh tests/run.sh $(if $(UPDATE),--update) \
	  --variant release bin/huddle build/rel/unit \
	  --variant asan build/asan/huddle build/asan/unit

demo: bin/huddle
	@sh tests/demo.sh bin/huddle

# ---- fuzzing and benchmarks -------------------------------------------------------

FUZZ_SECONDS ?= 60
FUZZ_CC := clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_TARGETS := $(notdir $(basename $(wildcard tests/fuzz/fuzz_*.c)))
# lang/ and the VM (no store, engine or CLI); program_hash.c needs libcrypto, which
# $(LDLIBS) links through PKGS.
FUZZ_CORE_SRC := $(LANG_SRC) build/gen/lexer.c build/gen/parser.c build/gen/stdlib_modules.c \
                 $(wildcard runtime/vm/*.c)

build/fuzz/%: tests/fuzz/%.c $(FUZZ_CORE_SRC) build/gen/parser.h | $(DEPS_STAMP)
	@mkdir -p build/fuzz
	$(FUZZ_CC) -std=c11 $(FUZZ_FLAGS) $(CPPFLAGS) $(INC_ALL) -o $@ $(filter %.c,$^) $(LDLIBS)

# Targets that reach past the VM list what more of the runtime they link (the rule
# above compiles every .c prerequisite): the directory with its calendars and zones, the
# connectors file, the store's record codec (with the canonical form read from it, and
# runtime/audit to compare it with, and the typed seen and cases values), and
# for `huddle run` and `huddle trigger` (fuzz_event) the whole runtime but main.
build/fuzz/fuzz_directory: $(wildcard runtime/people/*.c)
build/fuzz/fuzz_connectors: $(wildcard runtime/connectors/*.c)
build/fuzz/fuzz_codec: runtime/engine/engine_codec.c runtime/engine/engine_codec_canon.c runtime/engine/engine_codec_view.c \
  runtime/engine/engine_small_values.c runtime/engine/engine_task_record.c \
  runtime/engine/engine_outbox_entry.c runtime/engine/engine_outbox_entry_json.c \
  $(wildcard runtime/audit/*.c)
build/fuzz/fuzz_audit_canon: $(wildcard runtime/audit/*.c)
# An instance's record: its own encoding, and the older JSON record through the codec.
build/fuzz/fuzz_instance: runtime/engine/engine_instance_record.c runtime/engine/engine_instance_record_json.c \
  runtime/engine/engine_codec.c
# A task: its own encoding, and the older record through the codec.
build/fuzz/fuzz_task: runtime/engine/engine_task_record.c runtime/engine/engine_codec.c \
  runtime/engine/engine_codec_canon.c runtime/engine/engine_codec_view.c $(wildcard runtime/audit/*.c) \
  runtime/engine/engine_small_values.c runtime/engine/engine_outbox_entry.c runtime/engine/engine_outbox_entry_json.c
# An outbox entry: its own encoding, and the older JSON entry through the codec.
build/fuzz/fuzz_outbox_entry: runtime/engine/engine_outbox_entry.c runtime/engine/engine_outbox_entry_json.c \
  runtime/engine/engine_codec.c
build/fuzz/fuzz_trace: $(RUNTIME_SRC) tests/fuzz/scratch.c
# The history table's entries (engine_history.c), which reach the store and the chain.
build/fuzz/fuzz_history: $(RUNTIME_SRC)
build/fuzz/fuzz_event: $(RUNTIME_SRC) tests/fuzz/scratch.c
build/fuzz/fuzz_trigger_file: $(RUNTIME_SRC) tests/fuzz/scratch.c
# serve's routes, queries, tokens file and webhook bodies (issue 12), and the door's quick
# reading of bodies against value_json_load.
build/fuzz/fuzz_serve_routes: runtime/cli/cli_serve_route.c runtime/cli/cli_serve_tokens.c \
  runtime/connectors/connectors_events.c runtime/connectors/connectors_file.c runtime/connectors/json_file.c \
  runtime/cli/cli_serve_body.c

# The outbox's mail and call replies (issue 13): the engine's delivery code, so the runtime.
build/fuzz/fuzz_outbox: $(RUNTIME_SRC)
# The two VM targets share how they drive a program (tests/fuzz/drive.c).
build/fuzz/fuzz_bytecode build/fuzz/fuzz_run: tests/fuzz/drive.c tests/fuzz/drive.h

fuzz: $(addprefix build/fuzz/,$(FUZZ_TARGETS))
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Every bench/bench_*.c is one benchmark program; bench/common.c and bench/http_load.c
# (not named bench_*) hold the helpers they share and are linked into each.
BENCH_SRC := $(wildcard bench/bench_*.c)
build/bench/bench_%: bench/bench_%.c bench/common.c bench/common.h bench/http_load.c bench/http_load.h $(REL_OBJ)
	@mkdir -p build/bench
	$(CC) -std=c11 $(WARNINGS) -Wno-missing-prototypes $(CFLAGS) $(CPPFLAGS) $(INC_ALL) -o $@ $(filter-out %.h,$^) $(LDLIBS)

# bench_engine also replays the engine's own puts and deletes in raw LMDB
# (bench/store_tape.c): every store_put and store_del of its objects goes through the tape.
build/bench/bench_engine: bench/store_tape.c bench/store_tape.h
build/bench/bench_engine: LDLIBS += -Wl,--wrap=store_put -Wl,--wrap=store_del

bench-bins: $(addprefix build/bench/,$(notdir $(basename $(BENCH_SRC))))

bench: bin/huddle bench-bins
	@sh bench/run.sh

clean:
	rm -rf build/rel build/asan build/gen build/fuzz build/bench bin
