#!/bin/sh
# mmml @VERSION@, one self-extracting executable: this POSIX shell header, then an xz-compressed tar
# payload (the last @BYTES@ bytes of this file) holding the Deno runtime, the program, its npm packages
# and this platform's native libraries. The first run unpacks the payload, once, into a versioned cache
# folder after checking its sha256; every run then execs the program from there with its permissions.
#
# MMML_CACHE_DIR chooses the cache (default $XDG_CACHE_HOME/mmml, else $HOME/.cache/mmml). Nothing here
# touches the network; `rm -rf` of the cache folder is always safe (the next run unpacks again).
set -eu
MMML_VERSION='@VERSION@'
MMML_PAYLOAD_SHA256='@SHA256@'
MMML_PAYLOAD_BYTES=@BYTES@

die() {
  echo "mmml: $*" >&2
  exit 2
}

self=$0
case $self in
*/*) ;;
*) self=$(command -v -- "$self") || die "cannot find my own file ($0)" ;;
esac
case $self in
/*) ;;
*) self=$(pwd)/$self ;;
esac

if [ -n "${MMML_CACHE_DIR:-}" ]; then
  base=$MMML_CACHE_DIR
elif [ -n "${XDG_CACHE_HOME:-}" ]; then
  base=$XDG_CACHE_HOME/mmml
elif [ -n "${HOME:-}" ] && [ "$HOME" != / ]; then
  base=$HOME/.cache/mmml
else
  base=${TMPDIR:-/tmp}/mmml-$(id -u)
fi
dir=$base/$MMML_VERSION-$(printf '%s' "$MMML_PAYLOAD_SHA256" | cut -c1-16)

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 "$1" | sed 's/.*= *//'
  else
    die "cannot check my payload: none of sha256sum, shasum or openssl is installed"
  fi
}

unxz_to_stdout() {
  if command -v xz >/dev/null 2>&1; then
    xz -dc "$1"
  elif command -v python3 >/dev/null 2>&1; then
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"
  else
    die "cannot unpack: neither xz (Debian/Ubuntu package xz-utils) nor python3 is installed"
  fi
}

if [ ! -f "$dir/.unpacked" ]; then
  mkdir -p "$base" 2>/dev/null || die "cannot create the cache folder $base (set MMML_CACHE_DIR to a writable folder)"
  tmp=$(mktemp -d "$base/.unpack.XXXXXX") || die "cannot write in the cache folder $base (set MMML_CACHE_DIR)"
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 130' INT TERM
  echo "mmml: unpacking mmml $MMML_VERSION into $dir (first run only)" >&2
  tail -c "$MMML_PAYLOAD_BYTES" "$self" >"$tmp/payload.tar.xz" ||
    die "cannot read my payload from $self (out of space in $base?)"
  got=$(sha256_of "$tmp/payload.tar.xz")
  [ "$got" = "$MMML_PAYLOAD_SHA256" ] ||
    die "$self is damaged or truncated: its payload has sha256 $got, expected $MMML_PAYLOAD_SHA256; copy the file again"
  mkdir "$tmp/root"
  unxz_to_stdout "$tmp/payload.tar.xz" | tar -xf - -C "$tmp/root" ||
    die "unpacking into $base failed (out of space? $(df -h "$base" 2>/dev/null | tail -n 1))"
  rm -f "$tmp/payload.tar.xz"
  printf '%s\n' "$MMML_PAYLOAD_SHA256" >"$tmp/root/.unpacked"
  # A folder without its marker is a leftover of a run killed while renaming. Another first run may win
  # the rename below, which is fine: both unpacked the same checked payload, and ours is removed.
  if [ -d "$dir" ] && [ ! -f "$dir/.unpacked" ]; then rm -rf "$dir"; fi
  if [ ! -d "$dir" ]; then
    mv -T "$tmp/root" "$dir" 2>/dev/null || { [ -d "$dir" ] || mv "$tmp/root" "$dir"; } 2>/dev/null || true
  fi
  [ -f "$dir/.unpacked" ] || die "cannot move the unpacked program to $dir"
  rm -rf "$tmp"
  trap - EXIT INT TERM
fi

DENO_DIR=$dir/deno_dir
DENO_NO_UPDATE_CHECK=1
# Tells doctor it runs from the one file, whose optional engines are installed differently.
MMML_ONE_FILE=$self
export DENO_DIR DENO_NO_UPDATE_CHECK MMML_ONE_FILE
exec "$dir/deno" run --cached-only --no-prompt @PERMISSIONS@ --config "$dir/app/deno.json" "$dir/app/cli.ts" "$@"
