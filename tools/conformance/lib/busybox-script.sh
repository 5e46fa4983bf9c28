# A shell script that does real work on the busybox fixture (read by `busybox sh -s` from stdin):
# functions, case, arithmetic, here-documents, loops over external applets, pipelines, subshells, traps.
set -u
trap 'echo "trap: exit $?"' EXIT
log() { printf '%-8s %s\n' "$1:" "$2"; }
classify() {
  case "$1" in
    *.txt) echo text ;;
    *.csv) echo table ;;
    *.log) echo log ;;
    *) echo other ;;
  esac
}
total=0
for f in $(find dir -type f | sort); do
  n=$(wc -l < "$f")
  total=$((total + n))
  log "$(classify "$f")" "$f has $n line(s)"
done
log total "$total"
sum_csv() {
  tail -n +2 "$1" | while IFS=, read -r name qty price; do
    echo "$name $((qty * 100)) $price"
  done | sort -k2 -n -r
}
sum_csv data.csv
cents=$(awk -F, 'NR > 1 { s += $2 * $3 * 100 } END { printf "%d", s }' data.csv)
log value "$((cents / 100)).$((cents % 100))"
cat > report.txt <<EOF
args: $# ($*)
first fox line: $(grep -n fox a.txt | head -n 1 | cut -d: -f1)
words: $(wc -w < a.txt)
EOF
cat report.txt
tr 'a-z' 'A-Z' <<'EOF' | sed 's/^/> /'
quoted $HOME is not expanded
EOF
i=0
while [ $i -lt 5 ]; do
  i=$((i + 1))
  [ $((i % 2)) -eq 0 ] && continue
  printf 'odd %d squared %d\n' "$i" "$((i * i))"
done
(cd dir/sub && ls | sort | tr '\n' ' '; echo)
mkdir -p work && cp a.txt work/ && (cd work && sort -u a.txt > sorted.txt && md5sum sorted.txt)
uniq_words=$(tr ' ' '\n' < a.txt | grep -v '^$' | sort | uniq | wc -l)
log unique "$uniq_words"
if grep -q zebra a.txt; then log found zebra; else log missing zebra; fi
seq 1 10 | awk '{ s += $1 } END { print "seq sum", s }'
echo "last status: $?"
exit 3
