#!/usr/bin/env bash
# Runs the npusim binary on each case of a cases file and checks its exit code and stderr.
# usage: run_cases.sh NPUSIM CASES_FILE   (from the source directory)
# Arguments are shell words (quote an argument with spaces); {tmp} stands for a temporary directory.
set -u
bin=$1
cases=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
n=0
while IFS= read -r line; do
  [[ -z "${line// }" || "$line" == \#* ]] && continue
  n=$((n + 1))
  want_exit=${line%%|*}
  rest=${line#*|}
  want_err=${rest%%|*}
  args=${rest#*|}
  want_exit=$(echo $want_exit)
  want_err=$(sed -E 's/^ +| +$//g' <<< "$want_err")
  args=${args//\{tmp\}/$tmp}
  eval "argv=($args)"  # shell words: "a, b" is one argument
  case "${argv[0]:-}" in run | compare | experiment | sweep) [[ " ${argv[*]} " == *" --out "* ]] || argv+=(--out "$tmp/out$n") ;; esac
  "$bin" "${argv[@]}" > "$tmp/stdout" 2> "$tmp/stderr"
  got_exit=$?
  ok=1
  [[ "$got_exit" == "$want_exit" ]] || ok=0
  if [[ -z "$want_err" ]]; then
    [[ -s "$tmp/stderr" ]] && ok=0
  else
    grep -qF -- "$want_err" "$tmp/stderr" || ok=0
  fi
  if ((ok == 0)); then
    failed=$((failed + 1))
    echo "FAIL: npusim ${argv[*]}"
    echo "  expected exit $want_exit and stderr containing: ${want_err:-<nothing>}"
    echo "  got exit $got_exit, stderr:"
    sed 's/^/    /' "$tmp/stderr"
  fi
done < "$cases"
echo "$((n - failed)) of $n command-line cases passed"
((failed == 0))
