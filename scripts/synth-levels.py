#!/usr/bin/env python3
"""Longest register-to-register path of a LUT-mapped Yosys netlist (JSON of a flattened design,
written by scripts/synth after `abc -luts`, before the flip-flops become Xilinx primitives).

A path starts at a flip-flop, block RAM, DSP, SRL or the top's inputs and ends at one of them or
at the top's outputs. Levels: a LUT of up to 6 inputs is one level, a wider one (LUT6 + MUXF7/F8)
1.25; a CARRY4/CARRY8 cell 0.25 (the carry logic of 4 or 8 bits, ~0.1 ns against ~0.5 ns of a
LUT and its net); the asynchronous read of distributed RAM one level. Block RAM and DSP cells are
taken as registered (Yosys packs their input and output registers; the requantizer and the MAC
rows register both sides). Usage: synth-levels.py NETLIST.json [--top N]
Prints the longest path in levels with its cells' source lines."""
import json
import sys
from collections import defaultdict

SEQ_PREFIX = ("$_DFF", "$_SDFF", "$_DFFE", "$_SDFFE", "$_SDFFCE", "$_DLATCH", "$_ALDFF",
              "$_DFFSR", "$_SR", "RAMB", "FD", "SRL", "URAM", "$dff", "$sdff", "$adff")


def param(cell, k):
    v = cell["parameters"].get(k, 0)
    return int(v, 2) if isinstance(v, str) else int(v)


def dsp_regs(cell):
    """(inputs registered, output registered) of a DSP48 cell"""
    return (param(cell, "AREG") > 0 or param(cell, "BREG") > 0,
            param(cell, "MREG") > 0 or param(cell, "PREG") > 0)
LUTRAM_PREFIX = ("RAM32M", "RAM64M", "RAM32X", "RAM64X", "RAM128X", "RAM256X")


def primitive(mod):
    a = mod.get("attributes", {})
    return any(k in a for k in ("blackbox", "whitebox", "lib_whitebox", "abc9_box"))


def weight(cell):
    t = cell["type"]
    if t == "$lut":
        return 1.25 if int(cell["parameters"]["WIDTH"], 2) > 6 else 1.0
    if t.startswith("CARRY"):
        return 0.25
    if t.startswith("MUXF"):
        return 0.25
    if t.startswith(LUTRAM_PREFIX):
        return 1.0
    if t.startswith("DSP48"):
        return 3.0
    if t.startswith("$_"):  # gates abc left (inverters, buffers)
        return 0.0 if t in ("$_BUF_", "$_NOT_") else 1.0
    return 1.0


def main():
    path = sys.argv[1]
    d = json.load(open(path))
    mods = d["modules"]
    top = [m for m, v in mods.items() if v.get("attributes", {}).get("top")]
    top = top or [m for m, v in mods.items() if not primitive(v)]
    m = mods[top[0]]
    cells = m["cells"]
    drivers = {}  # bit -> cell name (combinational cells only)
    comb = {}
    for name, c in cells.items():
        t = c["type"]
        if t.startswith(SEQ_PREFIX) or (t.startswith("DSP48") and all(dsp_regs(c))):
            continue
        if t in mods and not primitive(mods[t]):
            sys.exit(f"synth-levels: {path} is not flattened (cell {name} of module {t})")
        comb[name] = c
        dirs = c.get("port_directions", {})
        if t.startswith("DSP48") and dsp_regs(c)[1]:
            continue  # a registered output drives no combinational path
        for port, bits in c["connections"].items():
            if dirs.get(port) == "output":
                for b in bits:
                    if isinstance(b, int):
                        drivers[b] = name
    # distributed RAM: only the read address -> data path is combinational
    def inputs(c):
        if c["type"].startswith("DSP48") and dsp_regs(c)[0]:
            return  # registered inputs end the paths into it
        dirs = c.get("port_directions", {})
        for port, bits in c["connections"].items():
            if dirs.get(port) != "input":
                continue
            if c["type"].startswith(LUTRAM_PREFIX) and not port.startswith("ADDR"):
                continue
            for b in bits:
                if isinstance(b, int):
                    yield b
    preds = {n: {drivers[b] for b in inputs(c) if b in drivers} for n, c in comb.items()}
    # longest path by depth-first search with memo (iterative, to survive deep netlists)
    best, via = {}, {}
    state = {}
    for start in comb:
        if start in best:
            continue
        stack = [(start, iter(sorted(preds[start])))]
        state[start] = 1
        while stack:
            n, it = stack[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt in best or state.get(nxt) == 1:
                    continue  # done, or a loop (a false path through a mux): ignore
                state[nxt] = 1
                stack.append((nxt, iter(sorted(preds[nxt]))))
                continue
            stack.pop()
            b, v = 0.0, None
            for p in preds[n]:
                if p in best and best[p] > b:
                    b, v = best[p], p
            best[n] = b + weight(comb[n])
            via[n] = v
            state[n] = 2
    if not best:
        print("0 levels")
        return
    def srcs(end):
        chain, n = [], end
        while n is not None:
            chain.append(n)
            n = via[n]
        chain.reverse()
        seen = []
        for n in chain:
            src = comb[n].get("attributes", {}).get("src", "")
            own = [x for x in src.split("|") if x and "share/yosys" not in x]  # not techmap's
            src = own[-1].rsplit("/", 1)[-1] if own else ""
            if src and (not seen or seen[-1] != src):
                seen.append(src)
        return seen

    end = max(best, key=best.get)
    print(f"{best[end]:.2f} levels")
    for s in srcs(end):
        print("  " + s)
    # --top N: the N longest paths with distinct last source lines
    if "--top" in sys.argv:
        k = int(sys.argv[sys.argv.index("--top") + 1])
        shown = set()
        for n in sorted(best, key=best.get, reverse=True):
            ss = srcs(n)
            key = ss[-1] if ss else n
            if key in shown:
                continue
            shown.add(key)
            print(f"{best[n]:6.2f}  " + " > ".join(ss[-6:]))
            if len(shown) >= k:
                break


if __name__ == "__main__":
    main()
