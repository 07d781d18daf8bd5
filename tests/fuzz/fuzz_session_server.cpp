// Fuzz target 1: proto::Session in the server role. The input is a configuration word, a seed
// for the choices, then what a client sends: a request head (valid or not) and frames.
// See session_fuzz.hpp for the layout and the invariants.
#include "session_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return ws::fuzz::run_session_fuzzer(ws::proto::Role::Server, data, size);
}
