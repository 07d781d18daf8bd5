"""Sections 12 and 13: permessage-deflate (RFC 7692). NOT IMPLEMENTED YET: ws-cpp does not
implement the extension, so no case is registered and the suite offers no extension.

The hook, for whoever adds them:
  1. handshake.client_handshake(..., extensions="permessage-deflate; client_max_window_bits")
     offers the extension; handshake.server_accept(..., extensions=...) accepts a client's.
     The runner must parse the agreed parameters from the response / request.
  2. conn.Conn(..., extension=obj) where obj has allows(frame) -> bool (RSV1 on the first
     frame of a data message is then legal) and inflates messages before they are checked and
     logged: add that call where Conn._on_frame completes a message. zlib is in the standard
     library: zlib.compressobj(wbits=-window_bits) for deflate, strip the trailing 00 00 FF FF
     of each message (RFC 7692 7.2.1), zlib.decompressobj(wbits=-window_bits) to inflate.
  3. Register cases here: 12.x (echo of compressible / incompressible text and binary
     messages of 16 B to 256 KiB, with and without context takeover, in several window sizes,
     fragmented), 13.x (each parameter combination of the offer: server_no_context_takeover,
     client_no_context_takeover, server_max_window_bits 8-15, client_max_window_bits), and add
     the runner option that turns the offer on.
"""


def register(reg):
    return None
