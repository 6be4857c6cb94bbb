# LABELS: dataset e2e
# test_pack_cli.sh: the dataset commands end to end through the skytune binary: import a tar.gz
# and a zip, pack (Keras split), info, verify (intact and corrupted), export twice to identical
# bytes, and the usage errors (exit 2) and --help (exit 0).
set -u
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

T=${SK_TEST_TMP:-/tmp}/pack_cli.$$
rm -rf "$T"; mkdir -p "$T/tree/GALAXY" "$T/tree/STAR" "$T/tree/QSO"
P1=iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAGElEQVQImWPkYvjKwMyAiVgYJLCIDloJAFHSAm1OSIDGAAAAAElFTkSuQmCC
P2=iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAGElEQVQImWOMYljKwMyAiVgYJLCIDloJAFJyAm1/y71TAAAAAElFTkSuQmCC
P3=iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAGElEQVQImWNcxRDKwMyAiVgYJLCIDloJAFMSAm3W9pSxAAAAAElFTkSuQmCC
J1=/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAIAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDO0/8AZ/6f6N/47RRRX87VM9x3N8Z+z1eJcy5v4h//2Q==
echo "$P1" | base64 -d > "$T/tree/GALAXY/1.png"
echo "$P2" | base64 -d > "$T/tree/GALAXY/2.png"
echo "$P3" | base64 -d > "$T/tree/GALAXY/3.png"
echo "$P1" | base64 -d > "$T/tree/STAR/4.png"
echo "$P2" | base64 -d > "$T/tree/STAR/5.png"
echo "$J1" | base64 -d > "$T/tree/QSO/6.jpg"

tar -czf "$T/tree.tar.gz" -C "$T/tree" .
"$SKYTUNE" --quiet dataset import "$T/tree.tar.gz" --out "$T/imp" --quiet
check "import tar.gz exits 0" "[ $? -eq 0 ]"
check "import wrote the images" "cmp -s $T/tree/QSO/6.jpg $T/imp/QSO/6.jpg && [ -f $T/imp/STAR/5.png ]"
echo "not a tar" > "$T/bad.tar"
"$SKYTUNE" dataset import "$T/bad.tar" --out "$T/imp2" --quiet 2> "$T/err.txt"
check "import of garbage exits 1" "[ $? -eq 1 ]"
check "import error names the file" "grep -q bad.tar $T/err.txt"

"$SKYTUNE" dataset pack --in "$T/imp" --out "$T/d.skds" --size 4 --val 0.34 --seed 123 --quiet
check "pack exits 0" "[ $? -eq 0 ]"
"$SKYTUNE" dataset info "$T/d.skds" > "$T/info.txt"
check "info exits 0" "[ $? -eq 0 ]"
# 6 files, int(0.34*6) = 2 validation; classes sorted GALAXY, QSO, STAR.
check "info shows 6 records" "grep -q '^records: *6$' $T/info.txt"
check "info shows 4x4x3" "grep -q '4 x 4 x 3' $T/info.txt"
check "info class table" "grep -Eq '^1 +QSO ' $T/info.txt && grep -Eq '^ +all +4 +2 +0 +6$' $T/info.txt"
"$SKYTUNE" dataset verify "$T/d.skds" > /dev/null
check "verify intact exits 0" "[ $? -eq 0 ]"
cp "$T/d.skds" "$T/bad.skds"
size=$(stat -c %s "$T/bad.skds")
printf '\x5a' | dd of="$T/bad.skds" bs=1 seek=$((size - 40)) conv=notrunc 2> /dev/null
"$SKYTUNE" dataset verify "$T/bad.skds" 2> "$T/verr.txt"
check "verify corrupted exits 1" "[ $? -eq 1 ]"
check "verify names the checksum" "grep -q 'CRC-32' $T/verr.txt"
head -c 100 "$T/d.skds" > "$T/short.skds"
"$SKYTUNE" dataset verify "$T/short.skds" 2> /dev/null
check "verify truncated exits 1" "[ $? -eq 1 ]"

"$SKYTUNE" dataset export "$T/d.skds" --npy "$T/npy" --archive "$T/a.tar.gz" --quiet
check "export exits 0" "[ $? -eq 0 ]"
sleep 1
"$SKYTUNE" dataset export "$T/d.skds" --archive "$T/b.tar.gz" --quiet
check "two archive exports are identical" "cmp -s $T/a.tar.gz $T/b.tar.gz"
check "npy files written" "[ -s $T/npy/x.npy ] && [ -s $T/npy/y.npy ] && grep -qx QSO $T/npy/class_names.txt"
check "archive lists manifest first" "[ \"$(tar -tzf $T/a.tar.gz | head -1)\" = manifest.tsv ]"

"$SKYTUNE" dataset pack --out "$T/x.skds" --size 4 2> /dev/null
check "pack without --in exits 2" "[ $? -eq 2 ]"
"$SKYTUNE" dataset pack --in "$T/imp" --out "$T/x.skds" --size 4 --resize cubic 2> /dev/null
check "pack --resize cubic exits 2" "[ $? -eq 2 ]"
"$SKYTUNE" dataset pack --in "$T/imp" --out "$T/x.skds" --size 4 --bogus 2> /dev/null
check "unknown flag exits 2" "[ $? -eq 2 ]"
for c in pack import info verify export; do
  "$SKYTUNE" dataset $c --help > /dev/null
  check "$c --help exits 0" "[ $? -eq 0 ]"
done
"$SKYTUNE" dataset info "$T/missing.skds" 2> /dev/null
check "info of a missing file exits 1" "[ $? -eq 1 ]"

rm -rf "$T"
echo "$fail failed"
[ $fail -eq 0 ]
