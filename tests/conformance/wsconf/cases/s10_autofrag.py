"""Section 10: a message the sender cut into many frames arrives as one message (RFC 6455 5.4:
fragmentation is invisible to the application) and is echoed intact."""

from ..codec import BINARY, TEXT
from .common import fragmented_echo_case, payload_for


def register(reg):
    reg.add("10.1.1", "text message of 65536 bytes sent in frames of 1300 bytes",
            fragmented_echo_case(TEXT, lambda: payload_for(TEXT, 65536), 1300))
    reg.add("10.1.2", "binary message of 1 MiB sent in frames of 1300 bytes",
            fragmented_echo_case(BINARY, lambda: payload_for(BINARY, 1 << 20), 1300), extra=True)
    reg.add("10.1.3", "text message of 65536 bytes in frames of 1300 bytes, written in 4093-byte chops",
            fragmented_echo_case(TEXT, lambda: payload_for(TEXT, 65536), 1300, chop=4093), extra=True)
