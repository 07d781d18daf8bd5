"""Section X: RFC 6455 rules Autobahn does not check, run in both roles."""

import os

from ..codec import TEXT, encode_frame


def _wrong_masking(t):
    """RFC 6455 5.1: a server MUST close the connection upon receiving an unmasked frame (and
    MAY use 1002); a client MUST close the connection if it detects a masked frame."""
    key = None if t.role == "client" else os.urandom(4)
    t.send(encode_frame(TEXT, b"wrongly masked", mask_key=key))
    t.fail(1002)


def _length_msb(t):
    """RFC 6455 5.2: in the 64-bit length the most significant bit MUST be 0. Whether the peer
    calls the frame malformed (1002) or too big (1009) is its choice."""
    t.send(t.frame(TEXT, b"hello", length=(1 << 63) | 5, length_form=64))
    t.fail(1002, 1009)


def register(reg):
    reg.add("X.1", "a frame masked the wrong way for its direction (fail 1002)", _wrong_masking, extra=True)
    reg.add("X.2", "64-bit payload length with its most significant bit set (fail 1002 or 1009)", _length_msb,
            extra=True)
