"""wsconf: an RFC 6455 conformance suite in the spirit of the Autobahn Testsuite.

Python 3 standard library only. Nothing here uses ws-cpp's code: the frame codec, the
handshake and the grading are written from RFC 6455 (and RFC 3629 for UTF-8).
See ../README.md.
"""
