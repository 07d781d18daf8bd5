#include "ws/handler.hpp"

#include <uv.h>

#include <cstdio>

namespace ws {

void Handler::on_error(const Error& err) {
    // A peer that resets or vanishes is ordinary network life, not worth a line on stderr.
    if (err.kind() == ErrorKind::Io) {
        const int code = err.io_code();
        if (code == UV_ECONNRESET || code == UV_EPIPE || code == UV_EOF || code == UV_ECANCELED) return;
    }
    std::fprintf(stderr, "ws-cpp: %s\n", err.what().c_str());
}

}  // namespace ws
