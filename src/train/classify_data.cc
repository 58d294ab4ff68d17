#include "train/classify_data.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "autoglm/error.h"

namespace autoglm::train {
namespace {

namespace fs = std::filesystem;

bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Case-insensitive "starts with" for ASCII.
bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

/// Fisher-Yates shuffle with a rejection-free modulo draw: the tiny modulo bias (< 2^-50 for
/// our sizes) is irrelevant, and unlike std::shuffle the result is fixed across standard libraries.
template <typename T>
void seeded_shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string s;
  if (!in) return s;
  in.seekg(0, std::ios::end);
  const auto size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size > 0) {
    s.resize(static_cast<size_t>(size));
    in.read(s.data(), size);
    s.resize(static_cast<size_t>(in.gcount()));
  }
  return s;
}

}  // namespace

std::string clean_message(std::string_view raw, size_t max_bytes) {
  // 1. Split headers and body at the first empty line ("\n\n" or "\n\r\n").
  size_t body_start = raw.size(), header_end = raw.size();
  for (size_t i = 0; i + 1 < raw.size(); ++i) {
    if (raw[i] != '\n') continue;
    size_t j = i + 1;
    if (j < raw.size() && raw[j] == '\r') ++j;
    if (j < raw.size() && raw[j] == '\n') {
      header_end = i;
      body_start = j + 1;
      break;
    }
  }
  if (header_end == raw.size() && !raw.empty() && raw[0] == '\n') header_end = 0, body_start = 1;
  std::string_view headers = raw.substr(0, header_end);
  std::string_view body = body_start < raw.size() ? raw.substr(body_start) : std::string_view{};

  std::string subject;
  for (size_t pos = 0; pos < headers.size();) {
    size_t eol = headers.find('\n', pos);
    if (eol == std::string_view::npos) eol = headers.size();
    std::string_view line = headers.substr(pos, eol - pos);
    pos = eol + 1;
    if (!starts_with_ci(line, "subject:")) continue;
    subject.assign(line.substr(8));
    // Folded continuation lines start with a space or tab.
    while (pos < headers.size() && (headers[pos] == ' ' || headers[pos] == '\t')) {
      eol = headers.find('\n', pos);
      if (eol == std::string_view::npos) eol = headers.size();
      subject += ' ';
      subject.append(headers.substr(pos, eol - pos));
      pos = eol + 1;
    }
    break;
  }

  std::string out;
  out.reserve(std::min<size_t>(max_bytes, subject.size() + body.size() + 1) + 1);
  bool pending_space = false;
  auto emit = [&](uint8_t c) {
    if (is_space(c)) {
      pending_space = !out.empty();
      return;
    }
    if (pending_space) {
      if (out.size() < max_bytes) out += ' ';
      pending_space = false;
    }
    if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c - 'A' + 'a');
    if (out.size() < max_bytes) out += static_cast<char>(c);
  };
  auto feed = [&](std::string_view s) {
    for (size_t i = 0; i < s.size() && out.size() < max_bytes; ++i) {
      if (s[i] == '=' && i + 1 < s.size()) {
        // Soft line break: "=\n" or "=\r\n".
        if (s[i + 1] == '\n') { ++i; continue; }
        if (s[i + 1] == '\r' && i + 2 < s.size() && s[i + 2] == '\n') { i += 2; continue; }
        if (i + 2 < s.size()) {
          const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
          if (hi >= 0 && lo >= 0) {
            emit(static_cast<uint8_t>(hi * 16 + lo));
            i += 2;
            continue;
          }
        }
      }
      emit(static_cast<uint8_t>(s[i]));
    }
  };
  feed(subject);
  emit('\n');
  feed(body);
  if (out.empty()) out.push_back(' ');
  return out;
}

int group_label(std::string_view folder_name) {
  if (folder_name.find("spam") != std::string_view::npos) return 1;
  if (folder_name.find("ham") != std::string_view::npos) return 0;
  return -1;
}

std::vector<Message> load_corpus(const std::string& dir, size_t max_bytes, const std::string& flag) {
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw ConfigError(flag + " " + dir + ": no such directory; pass the SpamAssassin corpus folder or run "
                      "scripts/setup.sh to fetch it (data/spam-assassin)");
  if (!fs::is_directory(dir, ec))
    throw ConfigError(flag + " " + dir + ": not a directory; pass the folder holding easy-ham-1/, spam-1/, ...");
  std::vector<fs::path> groups;
  for (const auto& entry : fs::directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec))
    if (entry.is_directory() && group_label(entry.path().filename().string()) >= 0) groups.push_back(entry.path());
  std::sort(groups.begin(), groups.end());
  std::vector<Message> messages;
  int64_t counts[2] = {0, 0};
  for (const auto& group : groups) {
    const int label = group_label(group.filename().string());
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(group, ec))
      if (entry.path().extension() == ".txt" && entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      messages.push_back({clean_message(read_file(file), max_bytes), label});
      ++counts[label];
    }
  }
  if (counts[0] == 0 || counts[1] == 0)
    throw ConfigError(flag + " " + dir + ": found " + std::to_string(counts[0]) + " ham and " +
                      std::to_string(counts[1]) +
                      " spam messages; need both (group folders named *ham*/ and *spam*/ holding *.txt "
                      "files); run scripts/setup.sh or pass the corpus folder");
  return messages;
}

SplitData stratified_split(std::vector<Message> messages, int64_t limit, uint64_t seed) {
  std::vector<Message> by_class[2];
  for (auto& m : messages) by_class[m.label != 0 ? 1 : 0].push_back(std::move(m));
  const double n_total = static_cast<double>(by_class[0].size() + by_class[1].size());
  // With a limit: spam keeps round(limit * share of spam), ham the rest (exactly `limit` in all).
  size_t keep[2] = {by_class[0].size(), by_class[1].size()};
  if (limit > 0 && static_cast<double>(limit) < n_total) {
    keep[1] = static_cast<size_t>(std::llround(static_cast<double>(limit) * static_cast<double>(keep[1]) / n_total));
    keep[0] = static_cast<size_t>(limit) - keep[1];
  }
  std::mt19937_64 rng(seed);
  SplitData out;
  for (int c = 0; c < 2; ++c) {
    auto& v = by_class[c];
    seeded_shuffle(v, rng);
    v.resize(std::min(v.size(), keep[c]));
    const auto n_eval = static_cast<size_t>(std::llround(0.15 * static_cast<double>(v.size())));
    if (n_eval == 0 || v.size() < 2 * n_eval + 1)
      throw ConfigError("--data-limit " + std::to_string(limit) + " leaves " + std::to_string(v.size()) + " " +
                        (c == 1 ? "spam" : "ham") +
                        " messages, too few for a train/validation/test split with both classes in each; "
                        "raise --data-limit (>= 50 works) or use 0 for the whole corpus");
    const size_t n_train = v.size() - 2 * n_eval;
    for (size_t i = 0; i < v.size(); ++i) {
      auto& dest = i < n_train ? out.train : i < n_train + n_eval ? out.validation : out.test;
      dest.push_back(std::move(v[i]));
    }
  }
  seeded_shuffle(out.train, rng);
  seeded_shuffle(out.validation, rng);
  seeded_shuffle(out.test, rng);
  return out;
}

uint64_t ngram_hash(const uint8_t* bytes, int n) {
  uint64_t h = 14695981039346656037ULL ^ static_cast<uint64_t>(n);
  for (int i = 0; i < n; ++i) {
    h ^= bytes[i];
    h *= 1099511628211ULL;
  }
  return h;
}

void hashed_ngrams(std::string_view text, int max_n, int64_t buckets, std::vector<int64_t>& ids) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t len = text.size();
  const auto b = static_cast<uint64_t>(buckets);
  for (size_t i = 0; i < len; ++i)
    for (int n = 1; n <= max_n && i + static_cast<size_t>(n) <= len; ++n)
      ids.push_back(static_cast<int64_t>(ngram_hash(p + i, n) % b));
}

}  // namespace autoglm::train
