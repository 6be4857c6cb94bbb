#!/bin/bash
# Structural rules of the code base that a compiler does not check (issue 19), for CI and
# tests/test_structure.sh. Exits 1 naming every violation.
#   1. No function of the product folders (not tests/) is longer than MAX_FN lines (150), its
#      signature to its closing brace. Functions are written as this code base writes them: the
#      signature from column 0, the opening and the closing brace alone at column 0.
#   2. No file outside arch/ (and tests/) compares an architecture name: per-model facts come
#      from the descriptor (arch/models.def) through sk_arch_find.
#   3. A library is used through its one public header: no product source reaches into another
#      folder by path ("../core/x.h"), except report/'s data-only use of arch/models.def.
# Usage: ci/check-structure.sh [SOURCE_ROOT]
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2
MAX_FN=${MAX_FN:-150}
PRODUCT="base core arch dataset records benchmarks report cli"
bad=0

# 1. Function length.
long=$(for d in $PRODUCT; do ls "$d"/*.c; done | xargs awk -v max="$MAX_FN" '
  FNR == 1 { sig = 0 }
  /^[A-Za-z_]/ && !/^(static )?(const )?[A-Za-z_][A-Za-z_0-9 \*]*;/ { if (!inbody) { sig = FNR; name = $0 } }
  /^\{/ { inbody = 1; start = sig ? sig : FNR }
  /^\}/ { if (inbody && FNR - start + 1 > max) printf "%s:%d: %d lines: %s\n", FILENAME, start, FNR - start + 1, name
          inbody = 0; sig = 0 }')
if [ -n "$long" ]; then
  echo "functions over $MAX_FN lines (split them):"; echo "$long"; bad=1
fi

# 2. Architecture names compared outside arch/.
ids=$(sed -n 's/^SK_MODEL(\([a-z0-9_]*\),.*/\1/p' arch/models.def | paste -sd'|')
[ -n "$ids" ] || { echo "check-structure: no SK_MODEL rows found in arch/models.def"; exit 2; }
cmp=$(grep -rniE "(str(n|case)?cmp|strstr|memcmp)\\([^;]*\"($ids)\"" --include='*.c' --include='*.h' \
        $(echo "$PRODUCT" | tr ' ' '\n' | grep -vx arch))
if [ -n "$cmp" ]; then
  echo "architecture names compared outside arch/ (ask the descriptor instead):"; echo "$cmp"; bad=1
fi

# 3. Reaching into another folder's private headers.
reach=$(grep -rnE '#include "\.\./' --include='*.c' --include='*.h' $PRODUCT |
        grep -vE '^[a-z]+/include/sk_[a-z]+\.h:' | grep -v '^report/report_summary.c:.*"\.\./arch/models\.def"')
if [ -n "$reach" ]; then
  echo "includes past a library's public header (use its include/sk_<folder>.h):"; echo "$reach"; bad=1
fi

[ "$bad" -eq 0 ] && echo "check-structure: ok (functions <= $MAX_FN lines, no architecture names compared outside arch/, public headers only)"
exit "$bad"
