#!/usr/bin/env bash
# Regenerates every picture, recording and graph file that README.md shows or links, from the
# built-in scenarios and the committed traced scenarios of assets/traces/, into
# assets/screenshots/ (or the directory given).
#
#   scripts/demo.sh            write into assets/screenshots/
#   scripts/demo.sh DIR        write into DIR
#   scripts/demo.sh --check    write into a temporary directory and fail if anything differs
#                              from the committed assets/screenshots/ (CI runs this)
#
# Everything rmapviz writes is deterministic (no clock, no system fonts, no environment), so the
# same sources give the same bytes on every machine.
set -euo pipefail
cd "$(dirname "$0")/.."

committed=assets/screenshots
check=false
out=$committed
case "${1:-}" in
    --check) check=true; out=$(mktemp -d); trap 'rm -rf "$out"' EXIT ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    "") ;;
    *) out=$1 ;;
esac
mkdir -p "$out"

cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/rmapviz

# The scheme compared with anon-vma in the hero picture: anonmm-naive loses the moved pte.
naive=anonmm-naive

# --force: the committed files are regenerated in place.
run() { echo "+ rmapviz $*" >&2; "$bin" "$@" --force; }

# The hero picture: S3 at its walk step, anonmm-naive beside anon-vma.
run shot S3 --step 5 --scheme "$naive" --compare anon-vma --size 120x40 -o "$out/s3-compare.png"
run shot S3 --step 5 --scheme "$naive" --compare anon-vma --size 120x40 -o "$out/s3-compare.svg"
# One scheme, following the walk's second candidate, in the colour-blind-safe theme.
run shot S3 --step 5 --scheme anon-vma --walk-candidate 2 --theme colorblind --size 120x40 -o "$out/s3-anon-vma-candidate2.png"
# The copy-on-write storm under modern, light theme.
run shot S2 --step 10 --scheme modern --theme light --size 120x40 -o "$out/s2-modern-light.png"
# Each kind of edge in its own line: S9's anonmm ring (double, before the objects' names) apart
# from the line to p2; and the legend (L) over S3's walk under anonmm-naive.
run shot S9 --step 6 --scheme anonmm --size 100x16 -o "$out/s9-ring.png"
run shot S3 --step 5 --scheme "$naive" --legend --size 120x40 -o "$out/s3-legend.png"
# The same state as text and as HTML.
run shot S3 --step 5 --scheme anon-vma --size 120x40 -o "$out/s3-anon-vma.txt"
run shot S3 --step 5 --scheme anon-vma --size 120x40 -o "$out/s3-anon-vma.html"
# The whole replay of S3 as an asciicast, each walk candidate held too.
run record S3 --scheme "$naive" --compare anon-vma --size 120x40 --delay 1.5 --walk -o "$out/s3.cast"
# The same replay as an animated GIF and an animated SVG, with the steps' notes as captions.
run record S3 --scheme "$naive" --compare anon-vma --size 120x43 --delay 1.5 --walk --captions -o "$out/s3.gif"
run record S3 --scheme "$naive" --compare anon-vma --size 120x43 --delay 1.5 --walk --captions -o "$out/s3-anim.svg"
# A traced program: `rmapviz trace -- sh -c 'ls /usr | wc -l'` (assets/traces/sh-ls-wc.ron),
# right after the shell forked wc: three processes share the shell's pages.
run shot assets/traces/sh-ls-wc.ron --step 108 --scheme modern --size 150x45 -o "$out/trace-sh-ls-wc.png"
# Issue 17's features, each as the TUI draws it (keys pressed before the picture with --keys),
# at scale 1 to keep the repository small.
# What changed: S3's fork underlined on the graph and told in the narrative.
run shot S3 --step 3 --size 120x40 --scale 1 -o "$out/s3-changed.png"
# The whole difference of the mremap step (d).
run shot S3 --step 4 --size 100x30 --scale 1 --keys d -o "$out/s3-diff.png"
# Presenter mode: the lesson's walk step, compared, the note as a caption.
run shot S3 --step 5 --scheme "$naive" --compare anon-vma --presenter --size 120x40 --scale 1 -o "$out/s3-presenter.png"
# Panes chosen for a slide.
run shot S3 --step 5 --scheme "$naive" --panes graph,walk --size 100x16 --scale 1 -o "$out/s3-slide.png"
# The claims page (C).
run shot S3 --step 0 --size 100x30 --scale 1 --keys C -o "$out/claims-page.png"
# A mistyped op stays open to be fixed; a deletion undone.
run shot S3 --step 5 --size 100x30 --scale 1 --keys ':mremap 1 0x80000 4 to=0x9800<Enter>' -o "$out/s3-typo.png"
run shot S3 --step 5 --size 100x30 --scale 1 --keys ':d 4<Enter>u' -o "$out/s3-undo.png"
# The quiz under anonmm-naive: asked, then revealed for a learner who answered as anon-vma would.
run shot S3 --step 4 --scheme "$naive" --size 100x32 --scale 1 --keys 'Ql' -o "$out/s3-quiz-ask.png"
run shot S3 --step 4 --scheme "$naive" --size 100x32 --scale 1 --keys 'Qlhh<Enter><Space><Space>' -o "$out/s3-quiz-reveal.png"
# The graph of the walk step as Graphviz DOT and JSON.
run export S3 --step 5 --scheme "$naive" -o "$out/s3-$naive.dot"
run export S3 --step 5 --scheme "$naive" -o "$out/s3-$naive.json"

if $check; then
    if diff -r -q "$committed" "$out"; then
        echo "demo files: the committed $committed/ matches what scripts/demo.sh generates"
    else
        echo "demo files: $committed/ differs from what scripts/demo.sh generates;" \
             "run scripts/demo.sh and commit the result" >&2
        exit 1
    fi
fi
