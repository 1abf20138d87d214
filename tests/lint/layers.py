#!/usr/bin/env python3
"""Fails when a file of harness/ includes a header of a layer above its own.

The layers, lowest first, are harness/CMakeLists.txt's ISOTEST_LAYERS (docs/architecture.md):
a file may include headers of its own layer and of the layers before it, never of one after
it. Includes name a header by its file name (every layer's folder is its library's include
directory), so a header is found by its name among the layers' folders.

Usage: layers.py HARNESS_DIR
"""
import os
import re
import sys


def layers_of(harness):
    text = open(os.path.join(harness, "CMakeLists.txt"), encoding="utf-8").read()
    match = re.search(r"set\(ISOTEST_LAYERS([^)]*)\)", text)
    if not match:
        sys.exit(f"{harness}/CMakeLists.txt: no set(ISOTEST_LAYERS ...)")
    return match.group(1).split()


def main():
    harness = sys.argv[1]
    layers = layers_of(harness)
    rank = {layer: i for i, layer in enumerate(layers)}
    owner = {}
    for layer in layers:
        for name in os.listdir(os.path.join(harness, layer)):
            owner[name] = layer
    problems = []
    for layer in layers:
        folder = os.path.join(harness, layer)
        for name in sorted(os.listdir(folder)):
            if not name.endswith((".cc", ".h", ".h.in")):
                continue
            path = os.path.join(folder, name)
            for number, line in enumerate(open(path, encoding="utf-8"), 1):
                match = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not match:
                    continue
                header = os.path.basename(match.group(1))
                above = owner.get(header)
                if above is not None and rank[above] > rank[layer]:
                    problems.append(
                        f"harness/{layer}/{name}:{number}: includes {header} of {above}/, a "
                        f"layer above {layer}/ (docs/architecture.md: a layer uses only the "
                        f"ones before it); move the code it needs down, or this file up")
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(layers)} layers, no include of a layer above")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
