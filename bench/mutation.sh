#!/usr/bin/env bash
# Mutation testing of the security-critical code: mutmut for Python, Stryker for TypeScript.
#
# Not part of scripts/test.sh: it runs the chosen tests once per mutant (minutes, not seconds).
# Each Python target runs in its own scratch copy under build/mutation/ with its own mutmut
# config, so a target mutates one module (or a few of its functions) and runs only the fast test
# files that cover it. Prints killed/total per target; details with
# `cd build/mutation/<target> && ../../../.venv/bin/mutmut results` (or `browse`).
#
#   bash bench/mutation.sh            # every target
#   bash bench/mutation.sh redact js  # some: redact, bridge, store, uploads, js
#
# MUTMUT_CHILDREN=2 runs two mutants at once (default 1, for a shared machine).
# Setup: `.venv/bin/pip install -e '.[mutation]'` and `cd js && npm install`.
#
# Scores (killed/tested; timeouts count as killed), before -> after the issue-7 mutation work:
#   redact   150/162 (93 %) -> 152/162 (94 %)  full run 151, then the one mutant its new test
#            targets re-run. 10 left, equivalent: the empty tail slice
#            taken or not, a wider scrub margin or threshold, a codec name's case, stripping
#            whitespace as well as quotes from a name whose words are split on both anyway.
#            After the issue-10 rewrite of _redact.py (by-value matching, PEM, cut JWTs, escapes),
#            with test_redact_corpus.py added to the selection: 491/724 (68 %) -> 642/656 (98 %)
#            (2026-11-30, MUTMUT_CHILDREN=2, 5 min). 68 mutants fewer: dead code the survivors
#            showed went (a "pass" test endswith covers, a guard against empty matches that
#            cannot happen, a None check of a pattern that matches the empty string, branches
#            that slicing or max() cover, a second search of the escape window, the END check
#            before starting a kept end at a BEGIN, the codec name, the kind labels of
#            _looks_random) and one `# pragma: no mutate` (scrub's `pos = 0`: None slices from
#            the start as well). Two reasons most survived: _KEY_RE is built at import, before
#            mutmut picks a mutant (test_redact_edges.py builds it again), and
#            looks_like_secret_name's cache answered from the stats run (the edge tests clear
#            it). 14 left. Equivalent: extra characters in the key regex's gate class and a
#            wider escape window (both prefilters before an exact check), the getattr default
#            and dict check of os.environ._data (always there on CPython), the switch from
#            substring search to one regex at 4 or 5 known values (same spans), scrub_cut's
#            size for its fast path (same result by design, tested), and a kept end scrubbed
#            from further back (rfind from 0, a token end walked by 2: more context, same
#            text). Bounds moved by one: a 257th character counted by _looks_random, a cut
#            JWT payload masked 16 KB + 1 back, an END exactly 64 KB after its BEGIN, a
#            remembered value overlapping its previous occurrence by all but one character
#            (in the substring path: its last character would show, as in the regex path).
#   bridge   526/645 (82 %) -> 623/645 (97 %)  measured as the full run of the same code and
#            tests before (526 killed) plus a re-run of its 119 unkilled mutants with the new
#            tests. 22 left: equivalent (a start value overwritten before use, a loop chosen two
#            ways that is the same loop, command ids that stay unique, a default URL no message
#            lacks, allow_nan=None, a gap marker of -2 or +1 after the upload already failed)
#            or leak-only (_forget leaving a dict entry nobody reads again).
#            After the batcher's first-event-at-once change and the `alive` beats, a fresh full
#            run (2026-11-30, MUTMUT_CHILDREN=2, 18 min): 638/689 (93 %) -> 670/686 (98 %):
#            the full run with the new tests in test_bridge_edges.py gave 668, and the two
#            _handle mutants the last test (a view that answered, then went quiet) targets were
#            re-run with it. 3 mutants fewer: _first_buffer's memoryview branch was dead code.
#            16 left, all equivalent: the batcher's "no send yet" start of +5 ms instead of -5
#            ms (loop time is the monotonic clock, hours in), `>` for `>=` on a float tie,
#            discard leaving None (flush sends only a non-empty buffer); command ids that
#            stay unique (start 1, step -1 or 2); the running loop where the bridge's loop is
#            asked for (it is the running one there, twice); "XXXX" as the view of a request
#            without one; pop() without a default of keys that are always there (twice); a
#            missing url read as "None" instead of the API URL (not the upload URL either way,
#            twice); +1 or -2 as the gap marker of an upload that has failed already (twice);
#            allow_nan=None (as false as False).
#            After PushedStream / Bridge.push (an `ask` teed to the lite views) and 1 MB batches,
#            with test_ask.py added to the selection (2026-11-30, MUTMUT_CHILDREN=2, ~20 min):
#            761/793 (96 %) -> 771/793 (97 %) in a fresh full run with the push tests in
#            test_bridge_edges.py (they kill 12 of the 17 PushedStream / push survivors; 5 had
#            no test: mute). 22 left, all equivalent: the 16 above, push's running loop where
#            the bridge's loop is asked for (as in _start and command), and None for False four
#            times in PushedStream (_sent and _ended at the start, _sent and `lambda: None` in
#            mute: as false as False), end's pop() without a default (only end removes the id,
#            once). The first run (under load) also counted "XXXX" and push's loop as killed:
#            test_ask's stop-button test took the first beat to come after the first batch,
#            which a loaded machine can break (fixed: it waits for a beat after a batch).
#            After the head carries the first batch and a stream waits for the iopub thread
#            after each batch (2026-12-01, MUTMUT_CHILDREN=2, 25 min, quiet machine): 785/809
#            (97 %) in a fresh full run (62 of them timeouts: a mutant that hangs a request);
#            the one non-equivalent survivor (`sent = None`: a wait after every event, not
#            every batch) is killed by test_a_stream_waits_once_per_batch_not_once_per_event:
#            786/809. 23 left: the 22 above plus `headed = None` (as false as False).
#   store    285/361 (79 %) -> 188/188 (100 %) 173 not generated: SQL text lines (below; 53
#            equivalent case mutants and the strings' other, killed, mutants), and 6
#            `# pragma: no mutate` lines (15 write=True of one-statement writes, 2 extra LIMIT
#            rows, 2 local-time `now`)
#   uploads  472/543 (87 %) -> 530/538 (99 %)  5 not generated (placeholder defaults that
#            set_limits() overwrites); 8 left are equivalent (codec-name case, maxsplit of a
#            split whose [0] is used, quote()'s safe='' vs 'XXXX', a memory-only preview flag)
#   safe.ts  580/634 (91 %) -> not re-run (unchanged; a full Stryker run takes ~2 h at
#            concurrency 1 on the shared machine)
#   markdown.ts 50/64 (78 %) -> 48/48 (100 %)  dead code the survivors showed was removed
#            (so fewer mutants): a class the sanitizer always stripped, a `tokens` check no
#            escaped token needs, `?? ""` on a string, `.trim()` of a language marked trims,
#            `?.` after split()[0]. One file: `cd js && npx stryker run stryker.config.json
#            --mutate src/render/markdown.ts` (~3 min).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MUTMUT=$ROOT/.venv/bin/mutmut
WORK=$ROOT/build/mutation
SUMMARY=$WORK/summary.txt
mkdir -p "$WORK"

# python_target NAME MODULE "TEST FILES" [MUTANT-NAME GLOBS...]
python_target() {
  local name=$1 module=$2 tests=$3
  shift 3
  local dir=$WORK/$name
  rm -rf "$dir"
  mkdir -p "$dir/tests"
  cp -r chatkit_jupyter pyproject.toml "$dir/"
  # The tests directory without the browser tests or their artifacts.
  (cd tests && cp -r __init__.py conftest.py openai_stub.py test_*.py fixtures "$dir/tests/")
  # What the protocol tests compare the Python side with.
  mkdir -p "$dir/js/src"
  cp js/package.json "$dir/js/"
  cp -r js/src/transport "$dir/js/src/"
  {
    echo "[mutmut]"
    echo "source_paths = chatkit_jupyter"
    echo "only_mutate = $module"
    echo "also_copy = js"
    # Lines matching SKIP_LINES (a regex, set by the target) are not mutated; see the target.
    if [ -n "${SKIP_LINES:-}" ]; then echo "do_not_mutate_patterns = $SKIP_LINES"; fi
    echo "pytest_add_cli_args_test_selection ="
    for t in $tests; do echo "    $t"; done
    echo "pytest_add_cli_args ="
    echo "    -p"
    echo "    no:cacheprovider"
    echo "    -m"
    echo "    not browser"
    # A real kernel started from the scratch copy cannot import mutmut's trampolined code.
    echo "    --deselect"
    echo "    tests/test_redact_corpus.py::test_getpass_in_a_real_kernel"
  } >"$dir/setup.cfg"
  echo "== mutmut: $name ($module; $tests${*:+; only $*})"
  # One child at a low priority: the machine is shared and a mutant's tests are quick anyway.
  (cd "$dir" && nice -n 19 "$MUTMUT" run --max-children "${MUTMUT_CHILDREN:-1}" "$@" >"$dir/run.log" 2>&1 || true)
  (cd "$dir" && "$MUTMUT" export-cicd-stats >/dev/null)
  "$ROOT/.venv/bin/python" - "$name" "$dir/mutants/mutmut-cicd-stats.json" <<'PY' | tee -a "$SUMMARY"
import json, sys
name, path = sys.argv[1], sys.argv[2]
s = json.load(open(path))
# Mutants left out by a target's name globs are not checked and do not count.
left = {k: s.get(k, 0) for k in ("survived", "no_tests", "suspicious", "segfault") if s.get(k)}
killed = s["killed"] + s.get("timeout", 0)
tested = killed + sum(left.values())
print(f"{name}: {killed}/{tested} killed ({100 * killed / max(tested, 1):.0f} %)", left or "")
PY
}

js_target() {
  echo "== stryker: js/src/render (safe.ts, markdown.ts)"
  (cd js && nice -n 19 npx stryker run stryker.config.json >"$WORK/stryker.log" 2>&1 || true)
  "$ROOT/.venv/bin/python" - "$ROOT/js/reports/mutation/mutation.json" <<'PY' | tee -a "$SUMMARY"
import json, sys
report = json.load(open(sys.argv[1]))
for path, data in sorted(report["files"].items()):
    states = [m["status"] for m in data["mutants"]]
    valid = [s for s in states if s not in ("CompileError", "RuntimeError", "Ignored")]
    killed = sum(s in ("Killed", "Timeout") for s in valid)
    print(f"js {path}: {killed}/{len(valid)} killed ({100 * killed / max(len(valid), 1):.0f} %)")
PY
}

targets=${*:-redact bridge store uploads js}
: >"$SUMMARY"
for target in $targets; do
  case $target in
    redact) python_target redact chatkit_jupyter/notebook/_redact.py \
      "tests/test_redact.py tests/test_redact_scrub.py tests/test_redact_edges.py tests/test_redact_corpus.py
      tests/test_notebook.py" ;;
    bridge) python_target bridge chatkit_jupyter/bridge/_bridge.py \
      "tests/test_bridge.py tests/test_protocol.py tests/test_hooks.py tests/test_drive.py
      tests/test_bridge_edges.py tests/test_ask.py" ;;
    # Store isolation: the methods that scope every query to the request's user. SQL text is
    # not mutated: SQLite keywords and column names ignore case, so mutmut's upper/lower-case
    # mutants of it are equivalent (53 of them), and any test running a query would kill the
    # remaining "XX...XX" one. A string split over lines is skipped whole when its first line
    # is, so the `type = 'user_message'` filter is not mutated either (a delete test covers it).
    store) SKIP_LINES='^\s*(conn\.execute\(|where = )?"(SELECT|INSERT|DELETE|VALUES|WHERE|SET|ON|user_id|created_us) [^'"'"']*$' \
      python_target store chatkit_jupyter/store/_sqlite.py \
      "tests/test_store.py tests/test_store_safety.py" \
      '*user_id_of*' '*load_thread__*' '*save_thread*' '*load_threads*' '*delete_thread__*' \
      '*load_thread_items*' '*_save_item*' '*load_item*' '*delete_thread_item*' \
      '*save_attachment*' '*load_attachment*' '*delete_attachment*' '*count_unsent*' ;;
    uploads) python_target uploads chatkit_jupyter/store/_attachments.py \
      "tests/test_attachments.py tests/test_attachments_messages.py" ;;
    js) js_target ;;
    *) echo "unknown target $target (redact, bridge, store, uploads, js)" >&2; exit 2 ;;
  esac
done
echo "== summary (also in $SUMMARY)"
cat "$SUMMARY"
