# LABELS: unit
# CITATION.cff parses as YAML (Debian's python3-yaml) and holds the required fields and both
# references: the study (doi 10.48550/arXiv.2205.07124) and its data set paper (arXiv:2205.10745).
set -euo pipefail
/usr/bin/python3 - "$SRC/CITATION.cff" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
fails = []
def check(cond, what):
    if not cond: fails.append(what)
check(d.get("cff-version") == "1.2.0", "cff-version is 1.2.0")
for k in ("title", "message", "authors", "version", "license", "references"):
    check(k in d, "has " + k)
check(d.get("type") == "software", "type software")
refs = d.get("references") or []
dois = [r.get("doi") for r in refs]
check("10.48550/arXiv.2205.07124" in dois, "references the study by DOI")
blob = yaml.safe_dump(refs)
check("2205.10745" in blob, "references the data set paper arXiv:2205.10745")
for r in refs:
    check(r.get("authors") and r.get("title") and r.get("year"), "reference complete: %s" % r.get("title"))
for f in fails: print("FAIL", f)
print("%d passed, %d failed" % (8 + len(refs) - len(fails), len(fails)))
sys.exit(1 if fails else 0)
PY
