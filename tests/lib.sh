# Shell test helpers (sourced): each check prints "ok   WHAT" or "FAIL WHAT: why" and counts into $n and
# $fails; the caller sets T (a scratch directory) and ends with `finish`.
# expect CODE DESCRIPTION -- COMMAND...: runs it, keeps stdout in $T/out, checks the exit code
expect() {
  local want=$1 what=$2; shift 3
  n=$((n + 1))
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $what: exit $got, expected $want"; sed 's/^/    /' "$T/err" | head -5; fails=$((fails + 1))
  else
    echo "ok   $what"
  fi
}
# contains TEXT DESCRIPTION: the last command's stdout (or stderr) has TEXT
contains() {
  n=$((n + 1))
  if grep -qF -- "$1" "$T/out" "$T/err"; then echo "ok   $2"; else echo "FAIL $2: no \"$1\""; fails=$((fails + 1)); fi
}
# json JS-EXPRESSION DESCRIPTION: evaluates an expression over the last stdout parsed as `j`
json() {
  n=$((n + 1))
  if node -e "const j=JSON.parse(require('fs').readFileSync('$T/out','utf8')); if(!($1)) process.exit(1)"; then
    echo "ok   $2"
  else
    echo "FAIL $2: $1 is false"; fails=$((fails + 1))
  fi
}

# finish: the summary line and the exit status
finish() {
  echo "$((n - fails))/$n passed"
  [ "$fails" = 0 ]
}
# reap PID...: stops these processes and waits; 0 means none and is skipped (kill 0 would signal the whole
# process group, the test runner included)
reap() {
  local p
  for p in "$@"; do [ "${p:-0}" -gt 0 ] 2>/dev/null && kill "$p" 2>/dev/null; done
  wait 2>/dev/null
}
