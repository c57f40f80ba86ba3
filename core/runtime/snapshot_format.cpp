#include "runtime/snapshot_format.hpp"

#include <cstring>

#include "api/error.hpp"

namespace rk::core {
namespace {

constexpr char kMagic[8] = {'R', 'K', 'S', 'N', 'A', 'P', '\r', '\n'};  // \r\n: text-mode copies show
constexpr size_t kHeaderSize = 64;
// Bounds a decoder holds to before it allocates: far above any real kernel's, far below
// what a corrupt count could make it reserve.
constexpr uint32_t kMaxNameBytes = 4096;
constexpr uint32_t kMaxNames = 65536;
constexpr uint32_t kMaxMessages = 1u << 24;
constexpr uint32_t kMaxPayload = 1u << 24;
constexpr uint32_t kMaxStateBytes = 1u << 30;

uint64_t fnv1a64(const uint8_t* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) {
    hash ^= data[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

size_t padded(size_t n) { return (n + 7u) & ~size_t{7}; }

class Writer {
 public:
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void raw(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    bytes.insert(bytes.end(), p, p + n);
  }
  void pad() { bytes.resize(padded(bytes.size()), 0); }
  void text(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    u32(0);
    raw(s.data(), s.size());
    pad();
  }
  std::vector<uint8_t> bytes;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool take(void* out, size_t n, const char* what) {
    if (n > size_ - at_) return failed(std::string("truncated in ") + what);
    if (n == 0) return true;  // `out` may be an empty vector's null data()
    std::memcpy(out, data_ + at_, n);
    at_ += n;
    return true;
  }
  bool u32(uint32_t& v, const char* what) { return take(&v, 4, what); }
  bool u64(uint64_t& v, const char* what) { return take(&v, 8, what); }
  bool pad(const char* what) {
    size_t to = padded(at_);
    if (to > size_) return failed(std::string("truncated in ") + what);
    for (; at_ < to; ++at_)
      if (data_[at_] != 0) return failed(std::string("the padding after ") + what + " is not zero");
    return true;
  }
  bool text(std::string& s, const char* what) {
    uint32_t n = 0, zero = 0;
    if (!u32(n, what) || !u32(zero, what)) return false;
    if (zero != 0) return failed(std::string("a reserved word in ") + what + " is not zero");
    if (n > kMaxNameBytes) return failed(std::string(what) + " is " + std::to_string(n) + " bytes long (at most 4096)");
    s.resize(n);
    return take(s.data(), n, what) && pad(what);
  }
  bool failed(std::string why) {
    error = std::move(why);
    return false;
  }
  size_t at() const { return at_; }
  std::string error;

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

void write_messages(Writer& w, uint32_t kind, const std::vector<SnapshotMessage>& messages) {
  w.u32(static_cast<uint32_t>(messages.size()));
  w.u32(kind);
  for (const SnapshotMessage& m : messages) {
    rk_msg_header header = m.header;
    header.payload_size = static_cast<uint32_t>(m.payload.size());
    header.publish_seq = 0;
    w.raw(&header, sizeof(header));
    w.raw(m.payload.data(), m.payload.size());
    w.pad();
  }
}

bool read_messages(Reader& r, uint32_t kind, uint32_t max_payload, std::vector<SnapshotMessage>& out) {
  static const char* const kNames[] = {"", "the input section", "the inbox section", "the outbox section",
                                       "the output section"};
  const char* what = kNames[kind];
  uint32_t count = 0, found_kind = 0;
  if (!r.u32(count, what) || !r.u32(found_kind, what)) return false;
  if (found_kind != kind) return r.failed(std::string(what) + " is missing (found section kind " + std::to_string(found_kind) + ")");
  if (count > kMaxMessages) return r.failed(std::string(what) + " claims " + std::to_string(count) + " messages");
  out.clear();
  for (uint32_t i = 0; i < count; ++i) {
    SnapshotMessage m;
    if (!r.take(&m.header, sizeof(m.header), what)) return false;
    if (m.header.payload_size > max_payload)
      return r.failed(std::string("a message in ") + what + " has a " + std::to_string(m.header.payload_size) +
                      "-byte payload, above the snapshot's max_payload_size " + std::to_string(max_payload));
    if (m.header.type_id == RK_MSG_TYPE_INVALID) return r.failed(std::string("a message in ") + what + " has type id 0");
    if (m.header.publish_seq != 0) return r.failed(std::string("a message in ") + what + " has a publish mark (not an image)");
    m.payload.resize(m.header.payload_size);
    if (!r.take(m.payload.data(), m.payload.size(), what) || !r.pad(what)) return false;
    out.push_back(std::move(m));
  }
  return true;
}

}  // namespace

std::vector<uint8_t> encode_snapshot(const Snapshot& s) {
  Writer w;
  w.raw(kMagic, sizeof(kMagic));
  w.u32(kSnapshotFormatVersion);
  w.u32(kHeaderSize);
  w.u64(0);  // total size, below
  w.u64(0);  // checksum, below
  w.u32(s.kernel_id);
  w.u32(s.max_payload_size);
  w.u32(static_cast<uint32_t>(s.state.size()));
  w.u32(static_cast<uint32_t>(s.names.size()));
  w.u64(s.next_message_id);
  w.u64(0);  // reserved
  w.text(s.kernel_name);
  w.raw(&s.hlc, sizeof(s.hlc));
  for (const SnapshotName& n : s.names) {
    w.u32(n.id);
    w.u32(0);
    w.text(n.name);
  }
  w.raw(s.state.data(), s.state.size());
  w.pad();
  write_messages(w, 1, s.input);
  write_messages(w, 2, s.inbox);
  write_messages(w, 3, s.outbox);
  write_messages(w, 4, s.output);
  uint64_t total = w.bytes.size();
  std::memcpy(w.bytes.data() + 16, &total, 8);
  uint64_t checksum = fnv1a64(w.bytes.data() + kHeaderSize, w.bytes.size() - kHeaderSize);
  std::memcpy(w.bytes.data() + 24, &checksum, 8);
  return std::move(w.bytes);
}

rk_result decode_snapshot(const void* data, size_t size, Snapshot& out) {
  auto refuse = [](const std::string& why) { return fail(RK_ERROR_INVALID_ARGUMENT, "not a usable kernel snapshot: " + why); };
  if (data == nullptr) return refuse("the image is NULL");
  const auto* bytes = static_cast<const uint8_t*>(data);
  if (size < kHeaderSize) return refuse("it is " + std::to_string(size) + " bytes, shorter than the 64-byte header");
  if (std::memcmp(bytes, kMagic, sizeof(kMagic)) != 0) return refuse("it does not start with the snapshot magic");
  uint32_t version = 0, header_size = 0;
  uint64_t total = 0, checksum = 0;
  std::memcpy(&version, bytes + 8, 4);
  std::memcpy(&header_size, bytes + 12, 4);
  std::memcpy(&total, bytes + 16, 8);
  std::memcpy(&checksum, bytes + 24, 8);
  if (version != kSnapshotFormatVersion)
    return refuse("format version " + std::to_string(version) + "; this build reads version " +
                  std::to_string(kSnapshotFormatVersion));
  if (header_size != kHeaderSize) return refuse("header size " + std::to_string(header_size) + ", not 64");
  if (total != size)
    return refuse((total > size ? "truncated: " : "trailing bytes: ") + std::string("the header says ") +
                  std::to_string(total) + " bytes, the image has " + std::to_string(size));
  if (fnv1a64(bytes + kHeaderSize, size - kHeaderSize) != checksum) return refuse("the checksum does not match (corrupted)");

  Snapshot s;
  uint32_t state_bytes = 0, name_count = 0;
  std::memcpy(&s.kernel_id, bytes + 32, 4);
  std::memcpy(&s.max_payload_size, bytes + 36, 4);
  std::memcpy(&state_bytes, bytes + 40, 4);
  std::memcpy(&name_count, bytes + 44, 4);
  std::memcpy(&s.next_message_id, bytes + 48, 8);
  uint64_t reserved = 0;
  std::memcpy(&reserved, bytes + 56, 8);
  if (reserved != 0) return refuse("the header's reserved word is not zero (written by a newer format?)");
  if (s.max_payload_size > kMaxPayload) return refuse("max_payload_size " + std::to_string(s.max_payload_size));
  if (state_bytes > kMaxStateBytes || state_bytes > size) return refuse("state of " + std::to_string(state_bytes) + " bytes");
  if (name_count > kMaxNames) return refuse(std::to_string(name_count) + " kernel names");
  Reader r(bytes + kHeaderSize, size - kHeaderSize);
  bool ok = r.text(s.kernel_name, "the kernel's name") && r.take(&s.hlc, sizeof(s.hlc), "the clock");
  for (uint32_t i = 0; ok && i < name_count; ++i) {
    SnapshotName n;
    uint32_t zero = 0;
    ok = r.u32(n.id, "the kernel names") && r.u32(zero, "the kernel names") && r.text(n.name, "a kernel name");
    if (ok && zero != 0) ok = r.failed("a reserved word in the kernel names is not zero");
    if (ok) s.names.push_back(std::move(n));
  }
  if (ok) {
    s.state.resize(state_bytes);
    ok = r.take(s.state.data(), state_bytes, "the state") && r.pad("the state");
  }
  ok = ok && read_messages(r, 1, s.max_payload_size, s.input) && read_messages(r, 2, s.max_payload_size, s.inbox) &&
       read_messages(r, 3, s.max_payload_size, s.outbox) && read_messages(r, 4, s.max_payload_size, s.output);
  if (!ok) return refuse(r.error);
  if (r.at() != size - kHeaderSize) return refuse("bytes after the last section");
  if (s.kernel_name.empty()) return refuse("the kernel's name is empty");
  out = std::move(s);
  return RK_SUCCESS;
}

}  // namespace rk::core
