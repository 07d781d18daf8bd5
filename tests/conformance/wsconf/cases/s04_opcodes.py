"""Section 4: reserved opcodes 3-7 (data) and 11-15 (control) fail the connection
(RFC 6455 5.2: 'If an unknown opcode is received, the receiving endpoint MUST Fail')."""

from ..engine import SOFT


def _alone(opcode, payload):
    def fn(t):
        t.send(t.frame(opcode, payload))
        t.fail(1002)
    return fn


def _after_message(opcode, payload, mode):
    def fn(t):
        t.send(t.text(b"Hello, world!"), t.frame(opcode, payload), t.ping(b"Hello, world!"), mode=mode)
        t.echo(1, b"Hello, world!", SOFT)
        t.fail(1002)
    return fn


def register(reg):
    for sub, base in ((1, 3), (2, 11)):
        kind = "data" if sub == 1 else "control"
        reg.add("4.%d.1" % sub, "reserved %s opcode %d without payload" % (kind, base), _alone(base, b""))
        reg.add("4.%d.2" % sub, "reserved %s opcode %d with payload" % (kind, base + 1),
                _alone(base + 1, b"reserved opcode payload"))
        reg.add("4.%d.3" % sub, "text message, reserved opcode %d, ping; one write" % (base + 2),
                _after_message(base + 2, b"", "one"))
        reg.add("4.%d.4" % sub, "text message, reserved opcode %d with payload, ping; frame by frame" % (base + 3),
                _after_message(base + 3, b"reserved opcode payload", "frames"))
        reg.add("4.%d.5" % sub, "text message, reserved opcode %d with payload, ping; one byte per write"
                % (base + 4), _after_message(base + 4, b"reserved opcode payload", "octets"))
