"""The cases, one module per Autobahn section (plus sx_extra for checks Autobahn lacks).
Each module has register(reg) adding its cases to an engine.Registry."""

from . import (s01_framing, s02_pings, s03_reserved_bits, s04_opcodes, s05_fragmentation, s06_utf8, s07_close,
               s09_limits, s10_autofrag, s12_13_deflate, sx_extra)

MODULES = [s01_framing, s02_pings, s03_reserved_bits, s04_opcodes, s05_fragmentation, s06_utf8, s07_close,
           s09_limits, s10_autofrag, s12_13_deflate, sx_extra]


def register_all(reg):
    for m in MODULES:
        m.register(reg)
    return reg
