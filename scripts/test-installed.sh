#!/usr/bin/env bash
# Installs a build tree into a temporary prefix, moves it (nothing installed may depend on
# where), and uses it as a user would:
#   consumer  examples/consumer, built with CMake (find_package) and with pkg-config, run
#             on cpu_sim; rk-info finds the plugins beside the moved libringcore
#   plugin    examples/backend-plugin, built with ringkernel_add_backend_plugin(); rk-info
#             loads it (reason ok) from RINGKERNEL_PLUGIN_PATH, then from the installed
#             plugin folder after `cmake --install`
# Usage: test-installed.sh consumer|plugin <build dir> [source dir]. CTest runs both
# (tests/install). Leaves nothing behind.
set -euo pipefail
what=$1
build=$(cd "$2" && pwd)
src=$(cd "${3:-$(dirname "$0")/..}" && pwd)
generator=${RK_TEST_GENERATOR:-Ninja}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rk-installed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export RINGKERNEL_CACHE_DIR=${RINGKERNEL_CACHE_DIR:-$tmp/kernel-cache}
unset RINGKERNEL_PLUGIN_PATH RINGKERNEL_BACKEND

step() { printf '== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

step "install $build, then move the prefix"
cmake --install "$build" --prefix "$tmp/configured" >/dev/null
mv "$tmp/configured" "$tmp/prefix"
prefix=$tmp/prefix
pc=$(find "$prefix" -name ringkernel.pc -print -quit)
[ -n "$pc" ] || fail "no ringkernel.pc installed"
libdir=$(dirname "$(dirname "$pc")")
info=$("$prefix/bin/rk-info")
grep -q "plugin search path: .*$libdir/ringkernel/plugins" <<<"$info" || fail "rk-info does not search $libdir/ringkernel/plugins: $info"
grep -Eq "cpu_sim +loaded +ok" <<<"$info" || fail "rk-info did not load the installed cpu_sim: $info"
if grep -q "$tmp/configured" <<<"$info"; then fail "rk-info names the prefix the tree was installed to: $info"; fi

configure() {  # <source> <build>
  cmake -S "$1" -B "$2" -G "$generator" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" >"$2.log" 2>&1 ||
    { cat "$2.log"; fail "configuring $1"; }
  cmake --build "$2" >>"$2.log" 2>&1 || { cat "$2.log"; fail "building $1"; }
}

case "$what" in
consumer)
  step "CMake: find_package(ringkernel), ringkernel::core"
  configure "$src/examples/consumer" "$tmp/cmake"
  "$tmp/cmake/consumer"
  step "pkg-config: $(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs ringkernel)"
  export PKG_CONFIG_PATH
  PKG_CONFIG_PATH=$(dirname "$pc")
  # shellcheck disable=SC2046  # pkg-config's words are meant to split
  "${CXX:-c++}" -std=c++20 -Wall -Wextra -Werror $(pkg-config --cflags ringkernel) "$src/examples/consumer/main.cpp" \
    -o "$tmp/consumer-pc" $(pkg-config --libs ringkernel) -Wl,-rpath,"$(pkg-config --variable=libdir ringkernel)"
  "$tmp/consumer-pc"
  step "the dialect headers an editor reads"
  "${CXX:-c++}" -std=c++20 -fsyntax-only -Wall -Wextra -x c++ - -I"$(pkg-config --variable=includedir ringkernel)" <<'CPP'
#include <ringkernel/dialect/rk_dialect.h>
RK_INLINE int32_t rk_handler(rk_ctx* ctx, rk_global const rk_msg_header* msg, rk_global const uint8_t* payload) {
  (void)msg;
  return rk_reply(ctx, 2u, payload, 8u);
}
CPP
  ;;
plugin)
  step "ringkernel_add_backend_plugin(example ...)"
  configure "$src/examples/backend-plugin" "$tmp/plugin"
  so=$tmp/plugin/plugins/librk_backend_example.so
  [ -f "$so" ] || fail "no $so"
  exported=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^$' | sort -u | tr '\n' ' ')
  [ "$exported" = "rk_plugin_entry " ] || fail "the plugin exports more than rk_plugin_entry: $exported"
  step "rk-info with RINGKERNEL_PLUGIN_PATH"
  RINGKERNEL_PLUGIN_PATH=$tmp/plugin/plugins RINGKERNEL_BACKEND=example "$prefix/bin/rk-info" | tee "$tmp/info.txt"
  grep -Eq "example +loaded +ok .*$tmp/plugin/plugins/librk_backend_example.so" "$tmp/info.txt" || fail "not loaded from the build"
  step "cmake --install puts it beside libringcore"
  cmake --install "$tmp/plugin" >/dev/null
  RINGKERNEL_BACKEND=example "$prefix/bin/rk-info" | tee "$tmp/info.txt"
  grep -Eq "example +loaded +ok .*$libdir/ringkernel/plugins/librk_backend_example.so" "$tmp/info.txt" || fail "not loaded from the install"
  ;;
*) fail "usage: $0 consumer|plugin <build dir> [source dir]" ;;
esac
step "ok"
