#!/usr/bin/env python3
"""The core library's folders are layers (docs/architecture.md): a file may include headers of
its own layer and of the layers listed before it, never of a later one. Exits 1 naming each
include that reaches up."""
import pathlib
import re
import sys

ORDER = ["base", "model", "estimate", "plan", "compose", "runtime", "report"]
root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
include = re.compile(r'#include <vramplan/([a-z_]+)/')
problems = []
for folder in (root / "src", root / "include" / "vramplan"):
    for path in sorted(folder.rglob("*.[ch]pp")):
        layer = path.relative_to(folder).parts[0]
        if layer not in ORDER:
            continue  # src/cli uses every layer
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = include.match(line)
            if m and (m.group(1) not in ORDER or ORDER.index(m.group(1)) > ORDER.index(layer)):
                problems.append(f"{path.relative_to(root)}:{n}: layer {layer}/ includes {m.group(1)}/")
for p in problems:
    print(p)
print(f"layers: {len(problems)} include(s) reaching a later layer")
sys.exit(1 if problems else 0)
