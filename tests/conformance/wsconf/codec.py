"""RFC 6455 section 5: the frame format, masking, close payloads. Pure functions."""

import struct

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
OPNAMES = {CONT: "continuation", TEXT: "text", BINARY: "binary", CLOSE: "close", PING: "ping", PONG: "pong"}
DATA_OPCODES = (CONT, TEXT, BINARY)
CONTROL_OPCODES = (CLOSE, PING, PONG)

# RSV bits as a 3-bit value: 4 = RSV1, 2 = RSV2, 1 = RSV3 (the bits of byte 0, shifted down by 4).
RSV1, RSV2, RSV3 = 4, 2, 1


def opname(op):
    return OPNAMES.get(op, "reserved opcode %d" % op)


def is_control(op):
    return op >= 0x8


def mask_bytes(data, key):
    """XOR `data` with the 4-byte `key` repeated (RFC 6455 5.3). Masking and unmasking are the
    same operation. Done on big integers so that 16 MiB costs milliseconds, not seconds."""
    n = len(data)
    if n == 0:
        return b""
    stream = (bytes(key) * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")


def encode_header(opcode, length, *, fin=True, rsv=0, mask_key=None, length_form=None):
    """The header of one frame. `length_form` forces the length encoding: 7 (in the second
    byte), 16 or 64 bits; by default the minimal one (RFC 6455 5.2 requires it of senders)."""
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0x0F)
    mbit = 0x80 if mask_key is not None else 0
    form = length_form or (7 if length < 126 else 16 if length < 65536 else 64)
    if form == 7:
        head = bytes([b0, mbit | length])
    elif form == 16:
        head = bytes([b0, mbit | 126]) + struct.pack("!H", length)
    else:
        head = bytes([b0, mbit | 127]) + struct.pack("!Q", length)
    if mask_key is not None:
        head += bytes(mask_key)
    return head


def encode_frame(opcode, payload=b"", *, fin=True, rsv=0, mask_key=None, length_form=None, length=None):
    """One frame on the wire. `length` overrides the announced length (for malformed frames)."""
    payload = bytes(payload)
    head = encode_header(opcode, len(payload) if length is None else length, fin=fin, rsv=rsv,
                         mask_key=mask_key, length_form=length_form)
    if mask_key is not None:
        payload = mask_bytes(payload, mask_key)
    return head + payload


def close_payload(code=None, reason=b""):
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    if code is None:
        return b""
    return struct.pack("!H", code) + reason


# RFC 6455 7.4.1 and 7.4.2 plus the IANA "WebSocket Close Code Number Registry": the codes an
# endpoint may put in a Close frame. 1004 is reserved, 1005, 1006 and 1015 must never be sent,
# 1016-2999 are unassigned protocol codes, 3000-3999 registered, 4000-4999 private use,
# 0-999 and 5000+ are not used.
def close_code_is_valid(code):
    return code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014) \
        or 3000 <= code <= 4999


class Frame:
    __slots__ = ("fin", "rsv", "opcode", "masked", "payload", "length_form", "minimal", "msb_set")

    def __init__(self, fin, rsv, opcode, masked, payload, length_form, minimal, msb_set):
        self.fin, self.rsv, self.opcode, self.masked = fin, rsv, opcode, masked
        self.payload, self.length_form, self.minimal, self.msb_set = payload, length_form, minimal, msb_set

    def __repr__(self):
        return "Frame(%s fin=%d rsv=%d masked=%d len=%d)" % (opname(self.opcode), self.fin, self.rsv,
                                                            self.masked, len(self.payload))


class DecodeError(Exception):
    pass


class FrameDecoder:
    """Incremental frame decoder: feed bytes, get whole frames (payload unmasked)."""

    def __init__(self, max_frame=256 << 20):
        self.buf = bytearray()
        self.max_frame = max_frame
        self.need = 2

    def feed(self, data):
        self.buf += data
        buf = self.buf
        n = len(buf)
        if n < self.need:
            return []
        out = []
        pos = 0
        while True:
            avail = n - pos
            if avail < 2:
                self.need = 2
                break
            b0, b1 = buf[pos], buf[pos + 1]
            length = b1 & 0x7F
            hl = 2
            form, minimal, msb = 7, True, False
            if length == 126:
                if avail < 4:
                    self.need = 4
                    break
                length = int.from_bytes(buf[pos + 2:pos + 4], "big")
                hl, form, minimal = 4, 16, length >= 126
            elif length == 127:
                if avail < 10:
                    self.need = 10
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
                hl, form, minimal = 10, 64, length >= 65536
                msb = bool(length >> 63)
            masked = bool(b1 & 0x80)
            if masked:
                hl += 4
            if msb:
                raise DecodeError("64-bit payload length with its most significant bit set")
            if length > self.max_frame:
                raise DecodeError("frame of %d bytes is larger than this suite accepts" % length)
            if avail < hl + length:
                self.need = hl + length
                break
            payload = bytes(buf[pos + hl:pos + hl + length])
            if masked:
                payload = mask_bytes(payload, buf[pos + hl - 4:pos + hl])
            out.append(Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, masked, payload, form, minimal, msb))
            pos += hl + length
        if pos:
            del buf[:pos]  # `need` counts from the start of the next frame: still right
        return out


def utf8_valid(data):
    """RFC 3629 UTF-8 (no surrogates, nothing above U+10FFFF, no overlongs): Python's
    strict decoder implements exactly that."""
    try:
        bytes(data).decode("utf-8", "strict")
        return True
    except UnicodeDecodeError:
        return False


def describe(data, limit=48):
    """Short printable form of a payload for reports."""
    data = bytes(data)
    if len(data) <= limit:
        return "%d bytes %s" % (len(data), data.hex(" ") if data else "(empty)")
    return "%d bytes %s ... %s" % (len(data), data[:16].hex(" "), data[-8:].hex(" "))
