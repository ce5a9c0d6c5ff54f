# SPDX-License-Identifier: GPL-2.0
#
# Glue for the Live Update for Linux 6.12 series. This file is not part of
# the kernel overlay: it composes build/linux from a 6.12 base, our quilt
# patches and our sparse tree, builds it, tests it and exports the series.
#
#   make deps     install missing host packages (apt-get)
#   make tree     compose build/linux (cheap to re-run)
#   make kernel   build/obj/arch/x86/boot/bzImage
#   make kernel-debug  build/obj-debug/arch/x86/boot/bzImage (KASAN, lockdep...)
#   make kernel-distro build/obj-distro/arch/x86/boot/bzImage (Debian's config)
#   make deb      the distro kernel as Debian packages in build/deb/
#                 (DEBCONFIG=<config> for another Debian config)
#   make headers  headers_install into build/headers/include
#   make agent    luod and luoctl (tools/liveupdate) for this host, in build/agent
#   make demo     the main job: boot the patched kernel in QEMU and kexec it,
#                 first with a VM (QEMU 10) that keeps running, then with
#                 memcached keeping its cache; one each: demo-vm,
#                 demo-memcached
#   make demo-vm-1g  the VM demo with its guest RAM in one 1 GiB hugetlb
#                 page, on the distro kernel (VMDEMO_RUNS=1g of dev/vmdemo.sh)
#   make kunit    the KUnit suites, built into the test kernel, in QEMU
#   make check    KUnit, kselftests in QEMU (incl. across kexec, also on the
#                 debug kernel), checkpatch
#   make bench    live update figures: preserve/retrieve times, kexec boot
#   make bench-distro  kexec boot of the distro kernel with 0 or 8 GiB
#                 preserved, deferred struct page init on and off
#   make bench-scale  10k and 100k sessions and files: cost per item;
#                 100k and 1M scattered runs: kexec boot
#   make bench-hugetlb  hugetlb memfds of 2 MiB and 1 GiB pages: preserve,
#                 retrieve and kexec boot vs writing into a fresh one
#   make fuzz     the handover fuzzer: N=<seeds> (100) SEED=<first> (1)
#   make series   git format-patch series in build/series/
#   make series-check  build every prefix of the series (bisectability)
#
# Variables: BASE=<tarball-or-dir>  KVM=1  JOBS=<n>  V=1  N=<n> SEED=<n> (fuzz)
#            DEBCONFIG=<file> (deb)  FROM=<n> (series-check: start at patch n)

BASE	?= /usr/src/linux-source-6.12.tar.xz
JOBS	?= $(shell nproc)
# Looked up when a recipe runs, not when make starts: on a fresh machine
# make deps installs ccache within the same run, and a kernel built first
# without it would be rebuilt whole by the next run (its command line
# changed).
CCACHE	?= $(shell command -v ccache)
# ccache's depend mode: on a miss it compiles at once and takes the
# headers from the compiler's own dependency file (-Wp,-MMD), instead of
# running the preprocessor first to hash its output. A cold build (CI on a
# fresh machine) then costs what it costs without ccache; the default mode
# spent 10-25% more CPU per object on misses. Hits are found as before.
export CCACHE_DEPEND ?= 1
KVM	?=

TOP	:= $(abspath .)
BUILD	:= $(TOP)/build
SRC	:= $(BUILD)/linux
OBJ	:= $(BUILD)/obj
OBJDBG	:= $(BUILD)/obj-debug
OBJDST	:= $(BUILD)/obj-distro
OBJNDF	:= $(BUILD)/obj-distro-nodefer
HDR	:= $(BUILD)/headers
LOGS	:= $(BUILD)/logs
STDIR	:= tools/testing/selftests/liveupdate
STOUT	:= $(BUILD)/selftests

export TOP BUILD SRC OBJ OBJDBG OBJDST HDR LOGS STDIR STOUT BASE JOBS KVM CCACHE


kmake	= $(MAKE) -C $(SRC) O=$(1) ARCH=x86_64 -j$(JOBS) \
	  $(if $(CCACHE),CC="ccache gcc") $(if $(V),V=1)
KMAKE	= $(call kmake,$(OBJ))

# $(call build-kernel,<objdir>,<log name>,<what>,<make args>): its bzImage,
# the output in build/logs/<log name>; a warning in our files fails.
define build-kernel
	@mkdir -p $(LOGS)
	@echo "  KERNEL  $(patsubst $(TOP)/%,%,$(1))/arch/x86/boot/bzImage ($(3); log: build/logs/$(2))"
	@s=$$(date +%s); $(call kmake,$(1)) $(4) bzImage > $(LOGS)/$(2) 2>&1 || \
		{ tail -n 40 $(LOGS)/$(2); echo "kernel build failed ($(3))"; exit 1; }; \
	n=$$(grep -cE '^  (CC|AS) ' $(LOGS)/$(2)); \
	echo "  KERNEL  $$n objects compiled in $$(( $$(date +%s) - s )) s"
	@w=$$(grep -E ': (warning|error):' $(LOGS)/$(2) | \
		grep -F -f $(SRC)/.lu-overlay | sort -u); \
	if [ -n "$$w" ]; then echo "$$w"; echo "warnings in our files ($(3))"; exit 1; fi
endef

# Config fragments, in merge order. dev/qemu.config is the small platform
# base (serial console, initramfs, kexec); the selftest fragments are part of
# the series and list what the tests need.
FRAGMENTS := $(TOP)/dev/qemu.config $(SRC)/$(STDIR)/config \
	     $(SRC)/$(STDIR)/config.x86_64
# The test kernel also carries the KUnit suites, off unless booted with
# kunit.enable=1 (dev/kunit.config).
KUNIT_FRAGMENTS := $(SRC)/kernel/liveupdate/.kunitconfig $(TOP)/dev/kunit.config
# The debug test kernel: the test kernel's fragments plus the checkers of
# dev/debug.config.
DEBUG_FRAGMENTS := $(FRAGMENTS) $(TOP)/dev/debug.config
# The distro test kernel: Debian's cloud-amd64 config (package
# linux-config-6.12) less its modules, plus dev/distro.config.
DISTRO_BASE ?= /usr/src/linux-config-6.12/config.amd64_none_cloud-amd64.xz
DISTRO_FRAGMENTS := $(TOP)/dev/distro.config

.PHONY: all deps tree kernel config headers selftests demo check bench kunit \
	kselftest checkpatch series series-check clean distclean help \
	config-debug kernel-debug kselftest-debug fuzz config-distro \
	kernel-distro kselftest-distro deb kernel-distro-nodefer bench-distro \
	bench-scale bench-hugetlb demo-vm demo-memcached demo-vm-1g agent

all: kernel

help:
	@sed -n '/^#   make/p' Makefile

deps:
	@$(TOP)/dev/deps.sh

tree: deps
	@$(TOP)/dev/compose-tree.sh

config: tree
	@$(TOP)/dev/make-config.sh $(FRAGMENTS) $(KUNIT_FRAGMENTS)

kernel: config
	$(call build-kernel,$(OBJ),kernel-build.log,W=1,W=1)

# Without W=1 (the main kernel checks that), but a warning in our files
# still fails: KASAN and lockdep change inlining and frame sizes.
config-debug: tree
	@OBJ=$(OBJDBG) $(TOP)/dev/make-config.sh $(DEBUG_FRAGMENTS)

kernel-debug: config-debug
	$(call build-kernel,$(OBJDBG),kernel-debug-build.log,debug)

# Debian's config, so no W=1 (the base tree is not W=1 clean under it);
# a warning in our files still fails.
config-distro: tree
	@OBJ=$(OBJDST) BASECONFIG=$(DISTRO_BASE) $(TOP)/dev/make-config.sh $(DISTRO_FRAGMENTS)

kernel-distro: config-distro
	$(call build-kernel,$(OBJDST),kernel-distro-build.log,Debian config)

# The distro kernel without deferred struct page init, for make bench-distro.
kernel-distro-nodefer: tree
	@OBJ=$(OBJNDF) BASECONFIG=$(DISTRO_BASE) $(TOP)/dev/make-config.sh \
		$(DISTRO_FRAGMENTS) $(TOP)/dev/nodefer.config
	$(call build-kernel,$(OBJNDF),kernel-distro-nodefer-build.log,no deferred init)

headers: config
	@$(KMAKE) -s headers_install INSTALL_HDR_PATH=$(HDR)

selftests: headers
	@mkdir -p $(STOUT)
	@$(MAKE) -s -C $(SRC)/$(STDIR) OUTPUT=$(STOUT) \
		KHDR_INCLUDES="-isystem $(HDR)/include" \
		$(if $(CCACHE),CC="ccache gcc")

# luod and luoctl for this host (dynamically linked), in build/agent/.
agent: headers
	@mkdir -p $(BUILD)/agent
	@$(MAKE) -s -C $(SRC)/tools/liveupdate OUTPUT=$(BUILD)/agent/ \
		KHDR_INCLUDES="-isystem $(HDR)/include" \
		$(if $(CCACHE),CC="ccache gcc")
	@echo "  AGENT   build/agent/luod build/agent/luoctl"

demo: kernel selftests
	@$(TOP)/dev/demo.sh

demo-vm: kernel selftests
	@DEMO_STORIES=vm $(TOP)/dev/demo.sh

demo-memcached: kernel selftests
	@DEMO_STORIES=memcached $(TOP)/dev/demo.sh

# 1 GiB pages need SPARSEMEM_VMEMMAP, which the test kernel lacks.
demo-vm-1g: kernel-distro selftests
	@DEMO_STORIES=vm VMDEMO_RUNS=1g DEMO_KERNEL=$(OBJDST)/arch/x86/boot/bzImage \
		$(TOP)/dev/demo.sh

check: kernel kernel-debug kernel-distro deb selftests agent
	@$(TOP)/dev/check.sh all

bench: kernel selftests
	@$(TOP)/dev/bench.sh

# 16 GiB over two nodes: nothing, 8 GiB of 4 KiB folios, 8 GiB of THPs
# preserved, with deferred struct page init (Debian's default) and without.
BENCH_DISTRO = BENCH_MEM=16G BENCH_VM="-n 2 -s 2" \
	BENCH_ARGS=bench.scenarios=none,8g-4k,8g-2m,none
# Sessions and files, 10k and 100k of each, and a memfd of 100k and 1M
# scattered runs, in a 16 GiB VM (issue 14).
bench-scale: kernel selftests
	@BENCH_MEM=16G BENCH_LOGS=$(LOGS)/bench-scale \
		BENCH_ARGS=bench.scenarios=sessions-10k,sessions-100k,files-10k,files-100k,frag-100k,frag-1m,none \
		$(TOP)/dev/bench.sh

# hugetlb memfds (issue 16): 1 GiB of 2 MiB pages and one 1 GiB page,
# 2 GiB of each twice for the kexec boot, between boots with nothing
# preserved, in a 10 GiB VM whose CPU has 1 GiB pages. Every kernel of the
# chain boots with pools of 2 GiB of 1 GiB pages and 3 GiB of 2 MiB pages:
# the preserve pins the pages of a 2 MiB-page memfd, which moves those in
# KHO scratch memory to free pages of the pool (with 2.5 GiB, a 2 GiB memfd
# failed ENOMEM in a kernel that had retrieved a 1 GiB page). The distro
# kernel: 1 GiB pages need SPARSEMEM_VMEMMAP, which the test kernel lacks.
bench-hugetlb: kernel-distro selftests
	@BENCH_MEM=10G BENCH_VM="-c qemu64,+pdpe1gb" BENCH_LOGS=$(LOGS)/bench-hugetlb \
		BENCH_KERNEL=$(OBJDST)/arch/x86/boot/bzImage \
		BENCH_ARGS="bench.scenarios=none,hugetlb-2m,hugetlb-1g,hugetlb-2g-2m,none,hugetlb-2g-1g,none,hugetlb-2g-2m,hugetlb-2g-1g,none hugepagesz=2M hugepages=1536 hugepagesz=1G hugepages=2" \
		$(TOP)/dev/bench.sh

bench-distro: kernel-distro kernel-distro-nodefer selftests
	@$(BENCH_DISTRO) BENCH_KERNEL=$(OBJDST)/arch/x86/boot/bzImage \
		BENCH_LOGS=$(LOGS)/bench-distro $(TOP)/dev/bench.sh
	@$(BENCH_DISTRO) BENCH_KERNEL=$(OBJNDF)/arch/x86/boot/bzImage \
		BENCH_LOGS=$(LOGS)/bench-distro-nodefer $(TOP)/dev/bench.sh

fuzz: kernel selftests
	@N=$(N) SEED=$(SEED) $(TOP)/dev/fuzz.sh

kunit: kernel
	@$(TOP)/dev/check.sh kunit

kselftest: kernel selftests
	@$(TOP)/dev/check.sh kselftest

kselftest-debug: kernel-debug selftests
	@$(TOP)/dev/check.sh kselftest-debug

kselftest-distro: kernel-distro selftests
	@$(TOP)/dev/check.sh kselftest-distro

deb: $(if $(DEBCONFIG),tree,kernel-distro) headers
	@DEBCONFIG=$(DEBCONFIG) $(TOP)/dev/deb.sh

checkpatch: tree
	@$(TOP)/dev/check.sh checkpatch

series: tree
	@$(TOP)/dev/export-series.sh

series-check: series
	@$(TOP)/dev/series-check.sh $(FRAGMENTS) $(KUNIT_FRAGMENTS)

clean:
	rm -rf $(OBJ) $(OBJDBG) $(OBJDST) $(OBJNDF) $(STOUT) $(HDR) $(BUILD)/kunit $(LOGS) $(BUILD)/series \
		$(BUILD)/series-check $(BUILD)/deb $(BUILD)/obj-deb

distclean:
	rm -rf $(BUILD)
