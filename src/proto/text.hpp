// Small text helpers for HTTP header values (RFC 9110 5.6).
#pragma once

#include <string_view>
#include <vector>

namespace ws::proto {

// tchar of RFC 9110 5.6.2.
constexpr bool is_token_char(char c) noexcept {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
        case '-': case '.': case '^': case '_': case '`': case '|': case '~': return true;
        default: return false;
    }
}

constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

// Strips optional whitespace (SP, HTAB) from both ends.
constexpr std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits a comma-separated list, trimming each element and dropping empty ones
// (RFC 9110 5.6.1: recipients ignore empty list elements).
inline std::vector<std::string_view> split_list(std::string_view s, char sep = ',') {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t pos = s.find(sep);
        const std::string_view item = trim_ows(s.substr(0, pos));
        if (!item.empty()) out.push_back(item);
        if (pos == std::string_view::npos) break;
        s.remove_prefix(pos + 1);
    }
    return out;
}

}  // namespace ws::proto
