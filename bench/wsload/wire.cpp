// wsload's wire: failing loudly and the handshake's helpers (wire.hpp).
#include "wire.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdarg>
#include <cstdio>

namespace wsload {

void fail(const char* fmt, ...) {
    std::fflush(stdout);
    std::fputs("wsload: FAIL: ", stderr);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    std::fputs("RESULT status=fail errors=1\n", stdout);
    std::fflush(stdout);
    std::exit(1);
}

std::string to_lower(std::string_view s) {
    std::string r(s);
    for (char& ch : r) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    return r;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool has_token(std::string_view list, std::string_view token) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        const std::string_view item = trim(list.substr(0, comma));
        if (to_lower(item) == token) return true;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return false;
}

std::string base64(const unsigned char* data, std::size_t n) {
    std::string out(4 * ((n + 2) / 3) + 1, '\0');
    const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
    out.resize(static_cast<std::size_t>(len));
    return out;
}

std::string accept_for(const std::string& key) {
    const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(input.data(), input.size(), md, &md_len, EVP_sha1(), nullptr) != 1) fail("SHA-1 failed");
    return base64(md, md_len);
}

void random_bytes(unsigned char* p, std::size_t n) {
    if (RAND_bytes(p, static_cast<int>(n)) != 1) fail("OpenSSL RAND_bytes failed");
}

}  // namespace wsload
