// Fuzz target 7: the frame header codec (RFC 6455 5.2) and masking (5.3).
//
// Input: the bytes are decoded as a header as they are; then read again as fields (FIN, RSV,
// opcode, MASK, key, a 64-bit length) to encode; what follows the header is a payload to mask.
//
// Invariants: decode_header agrees with a decoder written here (NeedMore with the exact byte
// count a header needs, LengthTooBig exactly for a 64-bit length with its top bit set, every
// field otherwise), including for every shorter prefix; encode_header writes header_size()
// bytes, decodes back to the same fields, and reproduces the input byte for byte when the
// input used the minimal length form; apply_mask in input-chosen pieces (carrying the phase)
// and at unaligned addresses equals a byte-by-byte XOR, and copy_masked too.
#include <cstring>
#include <vector>

#include "fuzz_util.hpp"
#include "proto/frame_header.hpp"
#include "proto/mask.hpp"

using namespace ws;
using namespace ws::fuzz;
using proto::DecodeStatus;
using proto::FrameHeader;

namespace {

struct RefDecode {
    DecodeStatus status;
    std::size_t need;
    FrameHeader h;
};

RefDecode ref_decode(const std::uint8_t* in, std::size_t n) {
    RefDecode r{DecodeStatus::NeedMore, 2, {}};
    if (n < 2) return r;
    const std::size_t len7 = in[1] & 0x7F;
    const bool masked = (in[1] & 0x80) != 0;
    const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    r.need = 2 + ext + (masked ? 4 : 0);
    if (n < r.need) return r;
    std::uint64_t len = len7;
    if (ext > 0) {
        len = 0;
        for (std::size_t i = 0; i < ext; ++i) len = len * 256 + in[2 + i];
    }
    if (ext == 8 && (in[2] & 0x80) != 0) {
        r.status = DecodeStatus::LengthTooBig;
        return r;
    }
    r.status = DecodeStatus::Ok;
    r.h.fin = (in[0] & 0x80) != 0;
    r.h.rsv = static_cast<std::uint8_t>((in[0] & 0x70) >> 4);
    r.h.opcode = in[0] & 0x0F;
    r.h.masked = masked;
    r.h.payload_len = len;
    if (masked) {
        for (std::size_t i = 0; i < 4; ++i) r.h.mask[i] = in[2 + ext + i];
    }
    return r;
}

bool same(const FrameHeader& a, const FrameHeader& b) {
    return a.fin == b.fin && a.rsv == b.rsv && a.opcode == b.opcode && a.masked == b.masked &&
           a.payload_len == b.payload_len && (!a.masked || a.mask == b.mask);
}

void check_decode(const std::uint8_t* in, std::size_t n) {
    const RefDecode want = ref_decode(in, n);
    FrameHeader h;
    const auto got = proto::decode_header({in, n}, h);
    FUZZ_CHECK(got.status == want.status);
    FUZZ_CHECK(got.consumed == want.need);
    if (want.status == DecodeStatus::Ok) {
        FUZZ_CHECK(same(h, want.h));
        if (!h.masked) FUZZ_CHECK(h.mask == proto::MaskKey{});
    }
}

void check_round_trip(const FrameHeader& h) {
    std::vector<std::uint8_t> buf(proto::kMaxHeaderSize);  // exact size: a longer write is an ASan report
    const std::size_t n = proto::encode_header(h, buf.data());
    FUZZ_CHECK(n == proto::header_size(h.payload_len, h.masked));
    FUZZ_CHECK(n <= proto::kMaxHeaderSize);
    std::vector<std::uint8_t> wire(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    FrameHeader back;
    const auto r = proto::decode_header(wire, back);
    if (h.payload_len >> 63) {
        FUZZ_CHECK(r.status == DecodeStatus::LengthTooBig);
        return;
    }
    FUZZ_CHECK(r.status == DecodeStatus::Ok && r.consumed == n);
    FrameHeader want = h;
    want.rsv &= 7;
    want.opcode &= 0x0F;
    FUZZ_CHECK(same(back, want));
    // Minimal length form (RFC 6455 5.2).
    const std::uint8_t len7 = wire[1] & 0x7F;
    if (h.payload_len < 126) FUZZ_CHECK(len7 == h.payload_len);
    else if (h.payload_len <= 0xFFFF) FUZZ_CHECK(len7 == 126);
    else FUZZ_CHECK(len7 == 127);
}

void check_mask(std::string_view payload, proto::MaskKey key, Rng& rng) {
    const std::size_t n = payload.size();
    std::vector<std::uint8_t> want(n);
    for (std::size_t i = 0; i < n; ++i) want[i] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(payload[i]) ^ key[i % 4]);

    // In pieces, at an unaligned offset, carrying the phase.
    const std::size_t offset = rng.below(16);
    std::vector<std::uint8_t> buf(offset + n);
    if (n > 0) std::memcpy(buf.data() + offset, payload.data(), n);
    std::size_t done = 0;
    std::size_t phase = 0;
    while (done < n) {
        const std::size_t len = next_piece(rng, n - done);
        phase = proto::apply_mask(buf.data() + offset + done, len, key, phase);
        done += len;
        FUZZ_CHECK(phase == done % 4);
    }
    FUZZ_CHECK(n == 0 || std::memcmp(buf.data() + offset, want.data(), n) == 0);

    // From the start at any phase: key[phase] lines up with the first byte.
    const std::size_t start_phase = rng.below(4);
    std::vector<std::uint8_t> b2(payload.begin(), payload.end());
    FUZZ_CHECK(proto::apply_mask(b2.data(), n, key, start_phase) == (start_phase + n) % 4);
    for (std::size_t i = 0; i < n; ++i) {
        FUZZ_CHECK(b2[i] == (static_cast<std::uint8_t>(payload[i]) ^ key[(start_phase + i) % 4]));
    }

    // copy_masked into an exact-size, unaligned destination.
    std::vector<std::uint8_t> dst(offset + n);
    if (n == 0) return;
    proto::copy_masked(dst.data() + offset, reinterpret_cast<const std::uint8_t*>(payload.data()), n, key);
    FUZZ_CHECK(std::memcmp(dst.data() + offset, want.data(), n) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Exact-size copy: decode_header must not read past what it is given.
    const std::vector<std::uint8_t> in(data, data + size);
    check_decode(in.data(), in.size());
    // Every shorter prefix: NeedMore (with the right count), never a header from missing bytes.
    const RefDecode full = ref_decode(in.data(), in.size());
    for (std::size_t k = 0; k < full.need && k < in.size(); ++k) {
        std::vector<std::uint8_t> prefix(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(k));
        FrameHeader h;
        const auto r = proto::decode_header(prefix, h);
        FUZZ_CHECK(r.status == DecodeStatus::NeedMore);
        FUZZ_CHECK(r.consumed == (k < 2 ? 2 : full.need));
        FUZZ_CHECK(r.consumed > k);
    }
    if (full.status == DecodeStatus::Ok) {
        // The input itself re-encoded: identical when its length form was minimal.
        std::vector<std::uint8_t> buf(proto::kMaxHeaderSize);
        const std::size_t n = proto::encode_header(full.h, buf.data());
        const std::uint8_t len7 = in[1] & 0x7F;
        const bool minimal = len7 < 126 || (len7 == 126 && full.h.payload_len >= 126) ||
                             (len7 == 127 && full.h.payload_len > 0xFFFF);
        if (minimal) {
            FUZZ_CHECK(n == full.need);
            FUZZ_CHECK(std::memcmp(buf.data(), in.data(), n) == 0);
        } else {
            FUZZ_CHECK(n < full.need);
        }
    }

    // Fields from the input, encoded and decoded back.
    Reader rd(data, size);
    FrameHeader h;
    const std::uint8_t b0 = rd.u8();
    h.fin = (b0 & 1) != 0;
    h.masked = (b0 & 2) != 0;
    h.rsv = rd.u8();     // encode keeps the low 3 bits
    h.opcode = rd.u8();  // and the low 4
    for (auto& k : h.mask) k = rd.u8();
    std::uint64_t len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | rd.u8();
    // Mostly lengths near the form boundaries (125/126, 65535/65536), sometimes anything.
    switch (b0 >> 5) {
        case 0: len %= 260; break;
        case 1: len = 0xFF80 + len % 256; break;
        case 2: len &= 0x7FFFFFFFFFFFFFFFull; break;
        case 3: len |= 0x8000000000000000ull; break;  // not representable: decodes as LengthTooBig
        default: len %= 70000; break;
    }
    h.payload_len = len;
    check_round_trip(h);

    // Masking of whatever is left.
    Rng rng(b0);
    rng.mix(size);
    check_mask(rd.rest(), h.mask, rng);
    return 0;
}
